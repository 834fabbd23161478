// The map: Leaflet (vendored) over the bundled county and state boundaries, counties coloured by the
// territory holding most of their accounts, and the accounts in view as the server clusters them.
// No base map unless the settings give a tile URL. The page is marked ready (data-ready, and a
// performance mark) once the counties and the first accounts layer are drawn.
(() => {
  const element = document.getElementById("map");
  const map = L.map(element, { preferCanvas: true, minZoom: 2, maxZoom: 18 }).setView([39, -96], 4);
  element.territorialMap = map; // for the browser tests, which click places on it
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Boundaries: U.S. Census Bureau");
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { attribution: element.dataset.tilesAttribution }).addTo(map);
  }
  const renderer = L.canvas({ padding: 0.3 });
  const detail = document.getElementById("detail");
  const inView = document.getElementById("in-view");
  let colours = {};
  let drawn = { counties: false, accounts: false };

  const markReady = (part) => {
    drawn[part] = true;
    if (drawn.counties && drawn.accounts && !document.body.dataset.ready) {
      document.body.dataset.ready = "true";
      performance.mark("data-ready");
    }
  };
  const show = (url) => htmx.ajax("GET", url, { target: "#detail", swap: "innerHTML" });
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target === detail) {
      const heading = detail.querySelector("h2");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    }
  });

  const counties = L.geoJSON(null, {
    renderer,
    style: (feature) => {
      const held = colours[feature.id];
      return { weight: 0.4, color: "#ffffff", fillColor: held ? held.colour : "#e4e7eb", fillOpacity: held ? 0.8 : 0.6 };
    },
  }).addTo(map);
  // One click handler and one tooltip for the 3,220 counties, not one each: building them per county
  // cost a few hundred milliseconds of every load.
  const countyTip = L.tooltip({ sticky: true });
  counties.on("click", (event) => {
    const held = colours[event.layer.feature.id];
    if (held && held.territory !== "(no territory)") show("/map/territories/" + encodeURIComponent(held.territory));
  });
  counties.on("mousemove", (event) => {
    const feature = event.layer.feature;
    const held = colours[feature.id];
    const name = feature.properties.name;
    countyTip
      .setLatLng(event.latlng)
      .setContent(held ? `${name}: ${held.territory}, ${held.accounts} accounts (${Math.round(held.share * 100)}%)` : name);
    if (!map.hasLayer(countyTip)) countyTip.addTo(map);
  });
  counties.on("mouseout", () => map.removeLayer(countyTip));
  const states = L.geoJSON(null, { renderer, interactive: false, style: { weight: 1.2, color: "#3d4756", fill: false } }).addTo(map);
  const accounts = L.layerGroup().addTo(map);

  const loadColours = () =>
    fetch("/map/colours.json?layer=" + encodeURIComponent(document.getElementById("plan-layer").value))
      .then((answer) => answer.json())
      .then((found) => {
        colours = found;
        counties.setStyle(counties.options.style);
      });

  Promise.all([fetch("/map/counties.geojson").then((a) => a.json()), loadColours()]).then(([outlines]) => {
    counties.addData(outlines);
    markReady("counties");
  });
  fetch("/map/states.geojson").then((a) => a.json()).then((borders) => states.addData(borders));

  let asked = 0;
  const loadAccounts = () => {
    const bounds = map.getBounds();
    const west = Math.max(-180, bounds.getWest()), east = Math.min(180, bounds.getEast());
    const south = Math.max(-90, bounds.getSouth()), north = Math.min(90, bounds.getNorth());
    const query = `bbox=${west.toFixed(5)},${south.toFixed(5)},${east.toFixed(5)},${north.toFixed(5)}&zoom=${map.getZoom()}`;
    const mine = ++asked;
    fetch("/map/accounts.json?" + query)
      .then((answer) => answer.json())
      .then((found) => {
        if (mine !== asked) return; // a later view's answer is coming
        accounts.clearLayers();
        for (const [lat, lon, count, only] of found.clusters) {
          if (only) {
            addAccount(lat, lon, only, only);
            continue;
          }
          const radius = Math.min(28, 6 + 3 * Math.log2(count));
          const circle = L.circleMarker([lat, lon], { renderer, radius, weight: 1, color: "#14324f", fillColor: "#1f5fa8", fillOpacity: 0.7 });
          circle.bindTooltip(`${count.toLocaleString()} accounts: choose to zoom in`);
          circle.on("click", () => map.setView([lat, lon], Math.min(map.getZoom() + 2, 18)));
          accounts.addLayer(circle);
        }
        for (const [lat, lon, id, name, territory] of found.points) addAccount(lat, lon, id, `${name || id}${territory ? " · " + territory : ""}`);
        inView.textContent = `${found.accounts.toLocaleString()} ${found.accounts === 1 ? "account" : "accounts"} in view` + (found.clusters.length ? `, in ${found.clusters.length.toLocaleString()} clusters` : "");
        markReady("accounts");
      });
  };
  const addAccount = (lat, lon, id, label) => {
    const dot = L.circleMarker([lat, lon], { renderer, radius: 5, weight: 1, color: "#ffffff", fillColor: "#a1261b", fillOpacity: 0.9 });
    dot.bindTooltip(label);
    dot.on("click", () => show("/home/accounts/" + encodeURIComponent(id) + "/why"));
    accounts.addLayer(dot);
  };
  map.on("moveend", loadAccounts);
  loadAccounts();

  const toggle = (box, layer) =>
    document.getElementById(box).addEventListener("change", (event) => {
      if (event.target.checked) layer.addTo(map);
      else map.removeLayer(layer);
    });
  toggle("show-counties", counties);
  toggle("show-states", states);
  toggle("show-accounts", accounts);
  document.getElementById("plan-layer").addEventListener("change", loadColours);
  // A search answer's "Show on the map" zooms to the account and explains it.
  document.getElementById("found").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-lat]");
    if (!button) return;
    map.setView([Number(button.dataset.lat), Number(button.dataset.lon)], 12);
    show("/home/accounts/" + encodeURIComponent(button.dataset.account) + "/why");
  });
})();
