// The Queue page's keys (no inline script: the CSP forbids it). j / k move between rows, x ticks the
// row, Enter opens it, a acknowledges the ticked rows (or the current one), r opens the resolve form.
// "Select all" ticks every row of this page. Nothing here is needed to use the page without keys.
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  if (!queue) { return; }
  var rows = Array.prototype.slice.call(queue.querySelectorAll("tr.queue-row"));
  var current = -1;
  var canAct = queue.getAttribute("data-can-act") === "yes";

  function pick(row) { return row.querySelector("input.queue-pick"); }

  function focusRow(index) {
    if (!rows.length) { return; }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0 && rows[current]) { rows[current].classList.remove("queue-current"); }
    current = index;
    rows[current].classList.add("queue-current");
    rows[current].scrollIntoView({ block: "nearest" });
  }

  function ticked() {
    return rows.filter(function (row) { var box = pick(row); return box && box.checked; });
  }

  function tickCurrentIfNone() {
    if (!ticked().length && current >= 0) { var box = pick(rows[current]); if (box) { box.checked = true; } }
  }

  var all = document.getElementById("queue-all");
  if (all) {
    all.addEventListener("change", function () {
      rows.forEach(function (row) { var box = pick(row); if (box) { box.checked = all.checked; } });
    });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (event.key === "j") { focusRow(current + 1); event.preventDefault(); }
    else if (event.key === "k") { focusRow(current - 1); event.preventDefault(); }
    else if (event.key === "x" && current >= 0 && canAct) {
      var box = pick(rows[current]); if (box) { box.checked = !box.checked; } event.preventDefault();
    } else if (event.key === "Enter" && current >= 0 && tag !== "a" && tag !== "button") {
      window.location.href = rows[current].getAttribute("data-href"); event.preventDefault();
    } else if (event.key === "a" && canAct) {
      tickCurrentIfNone();
      var ack = document.getElementById("queue-ack");
      if (ack && ticked().length) { ack.click(); }
      event.preventDefault();
    } else if (event.key === "r" && canAct) {
      tickCurrentIfNone();
      var resolve = document.getElementById("queue-resolve");
      if (resolve) {
        resolve.open = true;
        var note = document.getElementById("queue-note");
        if (note) { note.focus(); }
      }
      event.preventDefault();
    }
  });
})();
