// The code listing under the latest narration: a lesson's `say` followed by `| …` lines (the
// ten-line producer students type, say) is shown here, over the stage's top right, in large
// monospace, exactly as written (textContent: nothing in it is ever HTML). It goes with the
// narration that brought it; "Hide" puts it away until the next listing.

import { el, setText } from '../text.js';

export class ListingView {
  constructor(stageNode, model) {
    this.model = model;
    this.code = el('code', { class: 'listing-code' });
    this.hide = el('button', {
      type: 'button', class: 'btn btn-mini listing-hide', text: 'Hide', title: 'Hide the code (it comes back with the next listing)',
      on: { click: () => { this.node.hidden = true; } },
    });
    this.node = el('aside', { class: 'listing', attrs: { 'aria-label': 'Code from the narration' } },
      el('div', { class: 'listing-head' }, el('span', { class: 'listing-title', text: 'Code' }), this.hide),
      el('pre', { class: 'listing-pre' }, this.code));
    this.node.hidden = true;
    stageNode.append(this.node);
    this.shown = null;
  }

  render(change) {
    if (!(change.snapshot || change.caption)) return;
    const listing = this.model.listing;
    if (listing === this.shown) return;
    this.shown = listing;
    setText(this.code, listing || '');
    this.node.hidden = !listing;
  }
}
