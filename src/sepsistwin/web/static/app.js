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

function pct(x) {
  return x === null || x === undefined ? "\u2013" : (100 * x).toFixed(1) + "%";
}

function drawInterim(interim) {
  var section = document.getElementById("interim");
  if (!section || !interim) {
    return;
  }
  section.hidden = false;
  document.getElementById("interim-chunks").textContent = interim.screening.chunks;
  var body = section.querySelector("tbody");
  body.textContent = "";
  interim.arms.forEach(function (a) {
    var tr = document.createElement("tr");
    var th = document.createElement("th");
    th.scope = "row";
    th.textContent = a.name;
    tr.appendChild(th);
    [a.n, a.deaths_28d === null ? "\u2013" : a.deaths_28d, pct(a.mortality_28d)].forEach(
      function (v) {
        var td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      }
    );
    body.appendChild(tr);
  });
  if (typeof window.Plotly === "undefined") {
    return;
  }
  var dashes = ["solid", "dash", "dot", "dashdot", "longdash"];
  var traces = Object.keys(interim.km).map(function (arm, i) {
    return {
      x: interim.km[arm].time_days,
      y: interim.km[arm].survival,
      name: arm,
      mode: "lines",
      line: { shape: "hv", width: 2, dash: dashes[i % dashes.length] },
    };
  });
  window.Plotly.react("interim-km", traces, {
    template: "plotly_white",
    height: 380,
    xaxis: { title: { text: "days since enrollment" } },
    yaxis: { title: { text: "survival" }, range: [0, 1.02], tickformat: ".0%" },
    margin: { l: 70, r: 30, t: 30, b: 50 },
  }, { displaylogo: false, responsive: true });
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
    drawInterim(job.interim);
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
  poll(); // once for a finished job (draws its last interim results), repeatedly while running
}

document.addEventListener("DOMContentLoaded", function () {
  drawCharts();
  var job = document.getElementById("job");
  if (job) {
    followJob(job);
  }
});
