/* SPDX-License-Identifier: MIT */
#ifndef AGENT_AGENT_MAIN_H
#define AGENT_AGENT_MAIN_H

struct agent;

int agent_run(struct agent *a);
void agent_shutdown(struct agent *a);
void agent_log_stats(const struct agent *a);

#endif
