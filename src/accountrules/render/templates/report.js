(function () {
  var search = document.getElementById("search");
  var verdict = document.getElementById("verdict-filter");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#people tbody tr"));
  var count = document.getElementById("shown");
  function apply() {
    var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var only = verdict.value;
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-text");
      var ok = (!only || row.getAttribute("data-verdict") === only) &&
        words.every(function (w) { return text.indexOf(w) >= 0; });
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = String(shown);
  }
  search.addEventListener("input", apply);
  verdict.addEventListener("change", apply);
  apply();
})();
