// Words for the network's state: a sender waiting on a request lost in a cut (wire `Cuts.waits`).
// Shared by the physical view (on the cards and under them) and anything else that lists waits.

const WHAT = {
  'replica-fetch': ['fetch from', 'broker'],
  produce: ['produce request to', 'producer'],
  'consumer-fetch': ['fetch from', 'consumer'],
  'group-request': ['group request to', 'consumer'],
};

/** "17 s" from a span of simulated microseconds (never negative, rounded up). */
export function seconds(us) {
  return `${Math.max(0, Math.ceil(us / 1e6))} s`;
}

/** "fetch from broker 1 lost · times out in 17 s": a wait on the sender's own card. */
export function shortWait(w, nowUs) {
  const [verb] = WHAT[w.what] || ['request to'];
  return `${verb} broker ${w.broker} lost · ${timeLeft(w, nowUs)}`;
}

/** "consumer billing-1 (30 s)": a client waiting on this broker, for the broker's card. */
export function waiter(w, nowUs) {
  const [, kind] = WHAT[w.what] || ['', ''];
  return `${kind} ${w.sender} (${seconds(w.until_ms * 1000 - nowUs)})`;
}

function timeLeft(w, nowUs) {
  const left = w.until_ms * 1000 - nowUs;
  return left > 0 ? `times out in ${seconds(left)}` : 'times out now';
}

/**
 * "broker 2's fetch from broker 1 times out in 17 s" (or, on the sender's own card with `own`,
 * "its fetch from broker 1 …"). `now_us`: the room's simulated clock.
 */
export function describeWait(w, nowUs, { own = false } = {}) {
  const [verb, kind] = WHAT[w.what] || ['request to', ''];
  const who = own ? 'its' : `${kind === 'broker' || !kind ? w.sender : `${kind} ${w.sender}`}'s`;
  return `${who} ${verb} broker ${w.broker} was lost in the cut · ${timeLeft(w, nowUs)}`;
}
