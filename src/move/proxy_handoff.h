// A PostgreSQL move behind `cutover proxy` (create --proxy ADMIN... --proxy-backend NAME):
// create checks that the proxies' backends are the move's servers; data freezes through their
// read-only mode; finalize pauses them, switches their sessions to the target and resumes; abort
// switches them back. Their admin APIs are the only thing touched: no application restart.
// Several proxies (replicas, one per application instance) are driven together, each request
// sent to all at once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "move/move_plan.h"
#include "move/move_step.h"
#include "move/preflight.h"

namespace cutover::move {

// The checks of create for a plan with proxies: each admin API answers, each proxy is
// read-write and not paused, its active backend is the sources' server, and --proxy-backend is
// a backend of its config on the target's server.
std::vector<CheckResult> proxy_checks(const MovePlan& plan);

// Records the backend each proxy sends sessions to (abort switches back to it). Run by data
// before its freeze, whatever the freeze; again on a rerun, it keeps the first answer.
void remember_proxy_backend(MoveStepRun& run);

// The freeze --freeze proxy: the proxies' read-only mode (set during a pause), every session's
// next statement read-only on the server. Returns when it took effect. On a rerun, checks that
// every proxy is still read-only and throws Error(kOperationFailed) when not (restarted, or set read-write:
// writes may have reached the source).
std::string freeze_through_proxy(MoveStepRun& run);

// Finalize: checks the proxies are still read-only (unless the freeze is another), pauses them
// for at most the step's pause timeout, switches every session to the target's backend, sets
// them read-write and resumes; logs the pause's length. Safe to rerun after a failure or a crash
// at any point: a proxy already on the target is only set read-write and resumed. When
// sessions stay in a transaction past the timeout, resumes and throws Error(kOperationFailed).
void switch_proxy_to_target(MoveStepRun& run);

// Abort: when a proxy is on another backend than the one data recorded, sets the proxies
// read-only, runs `check_target` (which throws to refuse; they are then set read-write again and
// nothing else changed), pauses them, switches their sessions back and resumes, read-only (the
// sources are still frozen).
void switch_proxy_back(MoveStepRun& run, const std::function<void()>& check_target);

// Abort: the proxies set read-write, when this move set them read-only (a freeze by proxy, or a
// switch back).
void unfreeze_through_proxy(MoveStepRun& run);

}  // namespace cutover::move
