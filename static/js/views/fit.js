// Whole captions: a caption box clamps its text to a few lines (so the stage below does not jump),
// and a long narration must still be read whole, never cut with "…". TextFit steps the box's
// type down (data-fit="1", "2", …: app.css sets the sizes) until the text fits, measured in the
// page, not guessed from its length: how many characters make a line depends on the window.

export class TextFit {
  /** `node` holds the text; `steps` is how many smaller sizes the CSS defines after the normal one. */
  constructor(node, steps) {
    this.node = node;
    this.steps = steps;
    this.width = null;
    // The box's width decides the lines (a resized window, presenter mode shown or hidden):
    // measured again on the next frame, outside the observer's callback, because fitting
    // changes the box's height (doing it inside would be a ResizeObserver loop).
    new ResizeObserver((entries) => {
      const width = entries[entries.length - 1].contentRect.width;
      if (width === this.width) return;
      this.width = width;
      requestAnimationFrame(() => this.fit());
    }).observe(node);
  }

  /** After the text changed: the largest size at which it fits (the smallest if none does). */
  fit() {
    const node = this.node;
    let step = 0;
    node.dataset.fit = '0';
    // A clamped box reports the whole text's height as scrollHeight.
    while (step < this.steps && node.scrollHeight > node.clientHeight + 1) {
      step += 1;
      node.dataset.fit = String(step);
    }
    return step;
  }
}
