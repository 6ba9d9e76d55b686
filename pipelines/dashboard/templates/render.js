(function () {
  var config = {{ config | safe }};
  var blocks = document.querySelectorAll("script[type='application/json'][data-plot]");
  Array.prototype.forEach.call(blocks, function (block) {
    var div = document.getElementById(block.getAttribute("data-plot"));
    try {
      var fig = JSON.parse(block.textContent);
      Plotly.newPlot(div, fig.data, fig.layout, config);
    } catch (err) {
      div.textContent = "This chart could not be drawn.";
      console.error(err);
    }
  });
})();
