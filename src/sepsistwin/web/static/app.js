/* sepsistwin dashboard: draws the Plotly charts from their JSON data blocks and follows a
   running trial. Pages work without it (tables, forms and links are server-rendered). */
"use strict";

function drawCharts() {
  if (typeof window.Plotly === "undefined") {
    return;
  }
  document.querySelectorAll("[data-figure]").forEach(function (div) {
    var block = document.getElementById(div.getAttribute("data-figure"));
    if (!block) {
      return;
    }
    var fig = JSON.parse(block.textContent);
    window.Plotly.newPlot(div, fig.data, fig.layout, {
      responsive: true,
      displaylogo: false,
    }).then(function () {
      div.setAttribute("data-rendered", "true");
    });
  });
}

function followJob(box) {
  var id = box.getAttribute("data-job");
  var statusEl = document.getElementById("job-status");
  var bar = document.getElementById("progress");
  var text = document.getElementById("progress-text");
  function update(job) {
    statusEl.textContent = job.status;
    bar.value = job.flow.n_sampled;
    text.textContent = job.flow.n_sampled + " of " + job.size + " (" + job.chunks_done +
      " of " + job.n_chunks + " chunks)";
    Object.keys(job.flow).forEach(function (k) {
      var cell = box.querySelector('[data-key="' + k + '"]');
      if (cell) {
        cell.textContent = job.flow[k];
      }
    });
    if (job.status === "done") {
      window.location.assign("/trials/runs/" + encodeURIComponent(job.run));
      return false;
    }
    if (job.status !== "running") {
      var cancel = document.getElementById("cancel-form");
      if (cancel) {
        cancel.hidden = true;
      }
      if (job.error) {
        var err = document.createElement("p");
        err.className = "error";
        err.setAttribute("role", "alert");
        err.textContent = job.error;
        box.appendChild(err);
      }
      return false;
    }
    return true;
  }
  function poll() {
    fetch("/api/jobs/" + encodeURIComponent(id), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (update(job)) {
          window.setTimeout(poll, 700);
        }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  if (box.getAttribute("data-status") === "running") {
    poll();
  }
}

document.addEventListener("DOMContentLoaded", function () {
  drawCharts();
  var job = document.getElementById("job");
  if (job) {
    followJob(job);
  }
});
