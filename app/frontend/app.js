// Front-end of the reference site, bundled and minified by `npm run build` into static/dist/app.js.
// htmx polls the heartbeat list, Alpine toggles relative/exact times, dayjs formats them.
import htmx from "htmx.org";
import Alpine from "alpinejs";
import dayjs from "dayjs";
import relativeTime from "dayjs/plugin/relativeTime";
import utc from "dayjs/plugin/utc";

dayjs.extend(utc);
dayjs.extend(relativeTime);

// Each <time datetime="..."> gets a data-relative label ("12 seconds ago") next to its exact text.
function labelTimes(root) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    el.dataset.relative = dayjs.utc(el.getAttribute("datetime")).fromNow();
  }
}

window.htmx = htmx;
window.Alpine = Alpine;

document.addEventListener("DOMContentLoaded", () => labelTimes(document));
document.addEventListener("htmx:after:swap", () => labelTimes(document));
setInterval(() => labelTimes(document), 5000);

Alpine.start();
