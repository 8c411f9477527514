/* AKAR support desk: draws every <canvas data-chart='{...}'> with Chart.js (chart.umd.min.js,
   loaded before this file). The JSON comes from the server (bot/desk/views/analytics.py:charts):
     kind: "bar" | "line"; labels: [...]; titles: [...] (optional, tooltip titles);
     series: [{label, data, color, type?}]; stacked, horizontal, percent: optional booleans.
   No inline script or style is involved: Chart.js sizes the canvas through the CSSOM, which the
   page's Content-Security-Policy allows. Numbers are shown the Indonesian way (1.234 / 12,5). */
(function () {
  "use strict";
  if (typeof window.Chart !== "function") {
    return; // the tables under the charts still carry every figure
  }
  var Chart = window.Chart;
  var number = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 1 });

  Chart.defaults.locale = "id-ID";
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.color = "#5d6776";
  Chart.defaults.animation = false; // calmer, and what the page shows is final at once

  function format(value, percent) {
    if (value === null || value === undefined) {
      return "-";
    }
    return number.format(value) + (percent ? "%" : "");
  }

  function config(spec) {
    var horizontal = Boolean(spec.horizontal);
    var percent = Boolean(spec.percent);
    var stacked = Boolean(spec.stacked);
    var valueAxis = horizontal ? "x" : "y";
    var categoryAxis = horizontal ? "y" : "x";
    var datasets = spec.series.map(function (series) {
      var line = (series.type || spec.kind) === "line";
      return {
        type: series.type || spec.kind,
        label: series.label,
        data: series.data,
        backgroundColor: line ? series.color + "33" : series.color,
        borderColor: series.color,
        borderWidth: line ? 2 : 0,
        pointRadius: line ? 2 : 0,
        tension: 0.2,
        spanGaps: true,
        order: line ? 0 : 1 // lines drawn over bars
      };
    });
    var scales = {};
    scales[categoryAxis] = { stacked: stacked, grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0 } };
    scales[valueAxis] = {
      stacked: stacked,
      beginAtZero: true,
      ticks: {
        precision: percent ? undefined : 0,
        callback: function (value) { return format(value, percent); }
      }
    };
    return {
      type: spec.kind,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          legend: {
            display: datasets.length > 1,
            position: "bottom",
            labels: { sort: function (a, b) { return a.datasetIndex - b.datasetIndex; } }
          },
          tooltip: {
            callbacks: {
              title: function (items) {
                if (spec.titles && items.length) {
                  return spec.titles[items[0].dataIndex];
                }
                return items.length ? items[0].label : "";
              },
              label: function (context) {
                var value = horizontal ? context.parsed.x : context.parsed.y;
                return context.dataset.label + ": " + format(value, percent);
              }
            }
          }
        }
      }
    };
  }

  function draw(canvas) {
    var spec;
    try {
      spec = JSON.parse(canvas.getAttribute("data-chart"));
    } catch (error) {
      return;
    }
    new Chart(canvas, config(spec));
  }

  Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
})();
