// Groups drawn as the coordinator has them, checked in the real page against the engine's own
// answers (`expect` lines over the page's WebSocket): a crashed consumer keeps its partitions'
// chips while the group still lists it, loses them the moment its session timeout removes it
// (never two owners of one partition on screen), and can be started again from its menu as a
// new member.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, send, holds, until } from './harness.mjs';

const { openRoom } = useServerAndBrowser();




/** The `owned:` chips drawn inside consumer `name`'s row. */
function chips(page, name) {
  return page.$$eval(`[data-entity="consumer:${name}"] [data-entity^="owned:"]`, (els) => els.map((e) => e.dataset.entity.slice('owned:'.length)).sort());
}

/** Every partition drawn as owned, with how many consumers hold it on screen. */
async function owners(page) {
  const all = await page.$$eval('[data-entity^="consumer:"] [data-entity^="owned:"]', (els) => els.map((e) => e.dataset.entity));
  const count = new Map();
  for (const x of all) count.set(x, (count.get(x) || 0) + 1);
  return count;
}

// Two consumers of a 4-partition topic; a 6 s session (the broker's minimum) so the crash is
// noticed quickly.
const GROUP = `seed 2
brokers 3
topic create orders partitions=4 replication=3
producer add shop topic=orders rate=20/s keys=user-1..user-40
group add billing topics=orders consumers=2 session-timeout=6s heartbeat=2s
`;

test('a crashed consumer removed by its session timeout has no owned chips; started again it joins as a new member', async () => {
  const { page, problems } = await openRoom('groups');
  await page.waitForSelector('[data-broker="1"]');
  assert.ok((await send(page, { type: 'load', name: 'group.scenario', source: GROUP })).ok);
  await send(page, { type: 'speed', speed: 5 });
  await send(page, { type: 'play' });
  await until('a stable group', () => holds(page, 'state billing == Stable'));
  await send(page, { type: 'pause' });
  const held = await until('billing-1 to hold partitions on screen', async () => {
    const c = await chips(page, 'billing-1');
    return c.length > 0 && c;
  });
  // The page draws what the coordinator assigned.
  assert.ok(await holds(page, `assigned billing billing-1 == ${held.join(',')}`));

  // Crashed: the group still lists it, and its partitions stay with it, unread.
  assert.ok((await send(page, { type: 'command', line: 'consumer crash billing-1' })).ok);
  assert.ok(await holds(page, 'members billing == billing-1,billing-2'));
  await until('the crashed member to keep its chips', async () => (await chips(page, 'billing-1')).join() === held.join());

  // Its session times out: removed, it holds nothing, and billing-2 takes everything.
  await send(page, { type: 'play' });
  await until('the session timeout to remove billing-1', () => holds(page, 'members billing == billing-2'));
  await until('a stable group again', () => holds(page, 'state billing == Stable'));
  await send(page, { type: 'pause' });
  await until('billing-1 to lose its chips', async () => (await chips(page, 'billing-1')).length === 0);
  assert.ok(await holds(page, 'assigned-count billing billing-2 == 4'));
  await until('billing-2 to hold all four on screen', async () => (await chips(page, 'billing-2')).length === 4);
  for (const [chip, n] of await owners(page)) assert.equal(n, 1, `${chip} is drawn under ${n} consumers`);

  // Its menu starts it again: a new process, a new member id.
  await page.locator('[data-entity="consumer:billing-1"]').first().click();
  await page.getByRole('menuitem', { name: 'Start again' }).click();
  await send(page, { type: 'play' });
  await until('the new process to join', () => holds(page, 'members billing == billing-1~2,billing-2'));
  await until('a stable group with the new member', () => holds(page, 'state billing == Stable'));
  await send(page, { type: 'pause' });
  const again = await until('billing-1 to hold partitions again', async () => {
    const c = await chips(page, 'billing-1');
    return c.length > 0 && c;
  });
  assert.ok(await holds(page, `assigned billing billing-1 == ${again.join(',')}`));
  for (const [chip, n] of await owners(page)) assert.equal(n, 1, `${chip} is drawn under ${n} consumers`);
  assert.deepEqual(problems.errors, []);
  await page.close();
});
