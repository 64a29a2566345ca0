// vcc app: live progress of a run (server-sent events) and confirmations. No inline scripts (CSP).
(function () {
  "use strict";
  function follow(box) {
    var src = new EventSource(box.getAttribute("data-events"));
    var stage = document.getElementById("progress-stage");
    var bar = document.getElementById("progress-bar");
    var text = document.getElementById("progress-text");
    var list = document.getElementById("progress-stages");
    var status = document.getElementById("run-status");
    function show(st) {
      var p = st.progress || {};
      if (status) status.textContent = status.getAttribute("data-label-" + st.status) || st.status;
      if (p.stage) stage.textContent = p.stage;
      if (p.bar) {
        bar.value = p.bar.percent;
        text.textContent = p.bar.label + ": " + p.bar.done + " / " + p.bar.total;
      } else {
        bar.removeAttribute("value");  // indeterminate between bars
        text.textContent = "";
      }
      var stages = p.stages || [];
      while (list.children.length < stages.length) {
        var li = document.createElement("li");
        li.textContent = stages[list.children.length];
        list.appendChild(li);
      }
    }
    src.addEventListener("progress", function (e) { show(JSON.parse(e.data)); });
    src.addEventListener("end", function () { src.close(); window.location.reload(); });
    src.onerror = function () { src.close(); setTimeout(function () { window.location.reload(); }, 2000); };
  }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("progress");
    if (box) follow(box);
    document.querySelectorAll("form.confirm").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
      });
    });
  });
})();
