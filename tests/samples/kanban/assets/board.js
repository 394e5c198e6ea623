// Drag cards between columns; other parts of the page listen on the event bus.
import Sortable from "sortablejs";
import mitt from "mitt";

export const bus = mitt();

for (const list of document.querySelectorAll(".cards")) {
  Sortable.create(list, {
    group: "board",
    onEnd: (event) => bus.emit("moved", { id: event.item.dataset.id, to: event.to.closest(".column").dataset.column }),
  });
}
bus.on("moved", ({ id, to }) => console.debug(`card ${id} -> ${to}`));
