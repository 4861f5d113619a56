// Building a page's parts: elements with their text (never markup), and names from the
// data isolated for bidi (a Persian name on an English page, and the other way round).

/** An element with an optional class and text content. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A name from the data (an office's, a service's, a counter's), isolated for bidi. */
export const named = (className, name) => el("bdi", className, name || "");
