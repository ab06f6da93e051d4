// minica's pages work without this file; with it, choosing a departamento loads its municipios.
(function () {
  "use strict";
  document.querySelectorAll("[data-municipios]").forEach(function (select) {
    var departamento = document.getElementById(select.getAttribute("data-municipios"));
    if (!departamento) { return; }
    document.querySelectorAll(".js-oculto").forEach(function (el) { el.classList.add("js"); });
    departamento.addEventListener("change", function () {
      var code = departamento.value;
      select.innerHTML = "";
      var first = document.createElement("option");
      first.value = "";
      first.textContent = code ? "Cargando…" : "Elija primero el departamento";
      select.appendChild(first);
      if (!code) { return; }
      fetch("/dian/divipola/" + encodeURIComponent(code), { credentials: "same-origin" })
        .then(function (reply) { return reply.json(); })
        .then(function (data) {
          first.textContent = "Seleccione…";
          data.municipios.forEach(function (m) {
            var option = document.createElement("option");
            option.value = m.codigo;
            option.textContent = m.nombre;
            select.appendChild(option);
          });
          select.setAttribute("data-cargado", code);
        });
    });
  });
})();
