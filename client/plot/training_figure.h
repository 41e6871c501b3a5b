#ifndef PTUNE_CLIENT_PLOT_TRAINING_FIGURE_H_
#define PTUNE_CLIENT_PLOT_TRAINING_FIGURE_H_

#include <string>

#include "client/view/job_progress.h"

namespace ptune::client {

// The "structural evolution" figure of a job as an SVG document, four panels:
//   (a) training loss: total, task and TSLoss (when TSLoss was on) against step;
//   (b) the eval metric (PrimaryEvalSeries' metric, every split that reported it);
//   (c) H0 and H1 total persistence of the prompt against step (left/right axes);
//   (d) the latest persistence diagram (H0 and H1 pairs, diagonal, infinite bars on top).
// Each series is a <g class="series" id="series-..."> (ids: series-loss,
// series-task_loss, series-tsloss, series-eval-<split>-<metric>, series-h0-total,
// series-h1-total, diagram-h0, diagram-h1) carrying data-label and data-points, so tools
// and tests can find them. A panel without data says so instead of drawing axes.
std::string RenderTrainingFigure(const JobProgress& progress, const std::string& title);

}  // namespace ptune::client

#endif  // PTUNE_CLIENT_PLOT_TRAINING_FIGURE_H_
