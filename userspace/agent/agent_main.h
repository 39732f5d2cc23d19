/* SPDX-License-Identifier: MIT */
#ifndef AGENT_AGENT_MAIN_H
#define AGENT_AGENT_MAIN_H

struct agent;

int agent_run(struct agent *a);
void agent_shutdown(struct agent *a);
void agent_log_stats(const struct agent *a);
struct svc_frame;
void agent_handle_frame(struct agent *a, const struct svc_frame *f);
int agent_attach_for_test(struct agent *a, int chan_fd, int kern_fd);

#endif
