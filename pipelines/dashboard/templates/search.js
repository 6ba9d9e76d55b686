(function () {
  var box = document.getElementById("report-search");
  var results = document.getElementById("report-results");
  var latest = document.getElementById("latest-list");
  var data = document.getElementById("report-index");
  if (!box || !results || !latest || !data) { return; }
  var reports = JSON.parse(data.textContent);
  box.addEventListener("input", function () {
    var needle = box.value.trim().toLowerCase();
    while (results.firstChild) { results.removeChild(results.firstChild); }
    if (!needle) { results.hidden = true; latest.hidden = false; return; }
    var shown = 0;
    for (var i = 0; i < reports.length && shown < 50; i++) {
      var title = reports[i][0], file = reports[i][1];
      if (title.toLowerCase().indexOf(needle) < 0 && file.toLowerCase().indexOf(needle) < 0) { continue; }
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = reports[i][2];
      link.textContent = title;
      var note = document.createElement("span");
      note.className = "when";
      note.textContent = " " + file;
      item.appendChild(link);
      item.appendChild(note);
      results.appendChild(item);
      shown++;
    }
    if (!shown) {
      var none = document.createElement("li");
      none.textContent = "No report title matches.";
      results.appendChild(none);
    }
    results.hidden = false;
    latest.hidden = true;
  });
})();
