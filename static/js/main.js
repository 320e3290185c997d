// Wiring only: connect to the room, feed the model, and render every view once per animation frame
// (several WebSocket messages between two frames are coalesced into one render).

import { Connection, roomUrl, takeToken } from './connection.js';
import { Model } from './model.js';
import { Stage } from './stage.js';
import { PhysicalView } from './views/physical.js';
import { LogicalView } from './views/logical.js';
import { OverviewView } from './views/overview.js';
import { Zoom } from './views/zoom.js';
import { ProducersView } from './views/producers.js';
import { GroupsView } from './views/groups.js';
import { AssignmentsView } from './views/assignments.js';
import { FlightsView } from './views/flights.js';
import { EventLogView, CaptionView } from './views/eventlog.js';
import { ListingView } from './views/listing.js';
import { ClockView } from './views/clock.js';
import { DetailsView } from './views/details.js';
import { PresenterView } from './views/presenter.js';
import { TimelineView } from './views/timeline.js';
import { MetricsPanel } from './views/metrics.js';
import { FocusView } from './views/focus.js';
import { StreamsView } from './views/streams.js';
import { ConnectView } from './views/connect.js';
import { SystemsView } from './views/connect-systems.js';
import { ConnectFlows } from './views/connect-flows.js';
import { Controls } from './controls.js';
import { Console } from './console.js';
import { Actions } from './actions.js';
import { Presenter } from './presenter.js';
import { LessonCatalog, LessonPicker } from './lessons.js';
import { Editor } from './editor.js';
import { Classroom } from './classroom.js';
import { initTheme } from './theme.js';
import { el } from './text.js';

const room = document.body.dataset.room || 'demo';
// The presenter's token leaves the address bar before anything else happens (it is kept for this
// tab in sessionStorage). Until the server's `hello`, a shared page without a token is guessed to
// be following, so a student never sees live controls flash.
const token = takeToken();
const shared = Boolean(document.body.dataset.classUrl);
const model = new Model(room, { role: null, control: !shared || Boolean(token), shared });
const connection = new Connection(roomUrl(room, token));

const motionQuery = matchMedia('(prefers-reduced-motion: reduce)');
const reducedMotion = () => motionQuery.matches;

const stageNode = document.getElementById('stage');
const stage = new Stage(stageNode, model);
const redraw = (flags) => stage.redraw(flags);
const clockView = new ClockView(model, connection);
// toast() is hoisted; presenter and timeline report refusals with it.
const presenter = new Presenter(model, connection, { onError: toast, onChange: () => redraw({ lesson: true }) });
const details = new DetailsView(model, connection);
const classroom = new Classroom(model, connection, { toast: (text) => toast(text) });
const assignments = new AssignmentsView(document.getElementById('assignments'), stageNode, model);
const logical = new LogicalView(document.getElementById('logical'), model, { reducedMotion, connection });
// Opening the metrics panel closes the other panels (the functions are hoisted or bound below).
const metrics = new MetricsPanel(model, { onOpen: () => closeOthers(), redraw: (flags) => redraw(flags) });
// The zoom decides which panels show (before they render); the overview is a panel of its own.
const zoom = new Zoom(stageNode, model, logical, { onChange: () => relayout() });
const overviewPanel = stage.addPanel('cluster', {
  id: 'overview', title: 'Partitions', subtitle: 'every partition at once: click one to open its log', className: 'overview-view',
});
overviewPanel.heading.append(healthLegend());
const overview = new OverviewView(overviewPanel.body, model, zoom);
// Kafka Streams applications, under the cluster (the widest column: see views/streams.js).
const streamsPanel = stage.addPanel('cluster', {
  id: 'streams', title: 'Streams applications', subtitle: 'topology, tasks on instances, stores', className: 'streams-view',
});

// Kafka Connect: workers, connectors and tasks under the cluster; the external systems at the
// edges, sources beside the producers and sinks beside the groups (views/connect*.js).
const connectPanel = stage.addPanel('cluster', {
  id: 'connect', title: 'Kafka Connect', subtitle: 'connectors, and workers running their tasks', className: 'connect-view',
});
const sourcesPanel = stage.addPanel('producers', {
  id: 'connect-sources', title: 'Source systems', subtitle: 'read by connectors', className: 'systems-view',
});
const sinksPanel = stage.addPanel('groups', {
  id: 'connect-sinks', title: 'Sink systems', subtitle: 'written by connectors', className: 'systems-view',
});

// Views render in this order (after every view has measured, see stage.js).
stage.mount('zoom', zoom);
stage.mount('clock', clockView);
stage.mount('classroom', classroom);
stage.mount('timeline', new TimelineView(model, connection, { onError: toast }));
stage.mount('presenter', new PresenterView(model, presenter));
stage.mount('caption', new CaptionView(document.getElementById('caption'), model));
stage.mount('listing', new ListingView(stageNode, model));
stage.mount('producers', new ProducersView(document.getElementById('producers'), model));
stage.mount('logical', logical);
stage.mount('overview', overview);
stage.mount('physical', new PhysicalView(document.getElementById('physical'), model));
stage.mount('groups', new GroupsView(document.getElementById('groups'), model));
stage.mount('streams', new StreamsView(streamsPanel, model, { reducedMotion, connection }));
stage.mount('connect', new ConnectView(connectPanel, model, { reducedMotion }));
stage.mount('connect-sources', new SystemsView(sourcesPanel, model, 'source'));
stage.mount('connect-sinks', new SystemsView(sinksPanel, model, 'sink'));
stage.mount('eventlog', new EventLogView(document.getElementById('event-log'), model));
stage.mount('details', details);
stage.mount('metrics', metrics);
// After the views that draw entities (it marks what they drew), before the lines that measure them.
const focus = stage.mount('focus', new FocusView(stageNode, model, { zoom, logical, metrics }));
stage.mount('assignments', assignments);
stage.mount('connect-flows', new ConnectFlows(document.getElementById('flights'), model, { reducedMotion }));
stage.mount('flights', new FlightsView(document.getElementById('flights'), model, {
  reducedMotion, zoom, rowVisible: (id) => logical.isVisible(id),
}));

/** The overview's key to ISR health: glyph and word, never colour alone. */
function healthLegend() {
  const item = (cls, glyph, text) => el('span', { class: `legend-item health-${cls}` }, el('b', { text: glyph }), text);
  return el('span', { class: 'legend', attrs: { 'aria-label': 'ISR health' } },
    item('ok', '✓', 'in sync'), item('urp', '▲', 'under-replicated'), item('min', '✖', 'under min ISR'), item('offline', '⊘', 'offline'));
}

/** Something moved without a frame (resize, scroll, zoom): redraw the assignment lines. */
function relayout() {
  assignments.invalidate();
  redraw();
}
// Anything that changes size can move the ends of assignment lines: the stage, the columns, and
// the rows and member cards the lines attach to (observed as they appear).
const resizes = new ResizeObserver(relayout);
resizes.observe(stageNode);
for (const id of ['producers', 'physical', 'logical', 'groups']) resizes.observe(document.getElementById(id));
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) {
    if (n instanceof Element && n.matches('.partition, .member, .group, .topic')) resizes.observe(n);
  }
}).observe(stageNode, { childList: true, subtree: true });
stageNode.addEventListener('scroll', relayout, { capture: true, passive: true });
addEventListener('resize', relayout);

// ---- feedback ---------------------------------------------------------------------------------

const toastNode = document.getElementById('toast');
let toastTimer = null;
/** A short message at the top of the page (a refused click, a lost connection). */
function toast(text) {
  toastNode.replaceChildren(el('span', { text }));
  toastNode.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toastNode.hidden = true; }, 6000);
}
toastNode.addEventListener('click', () => { toastNode.hidden = true; });

// ---- wiring -----------------------------------------------------------------------------------

const actions = new Actions(model, connection, details, { toast });
const catalog = new LessonCatalog(connection);
// One panel at a time: opening the lessons or the editor closes the others.
const lessons = new LessonPicker(model, connection, catalog, {
  onPicked: () => presenter.lessonPicked(),
  onOpen: () => { actions.closePopups(); editor.close(); metrics.close(); },
});
const editor = new Editor(model, connection, catalog, {
  onOpen: () => { actions.closePopups(); lessons.close(); metrics.close(); },
});
function closeOthers() { actions.closePopups(); lessons.close(); editor.close(); details.close(); }
new Controls(model, connection, {
  onError: toast,
  // The topmost thing open closes first.
  onEscape: () => { if (!classroom.close() && !lessons.close() && !editor.close() && !metrics.close() && !actions.closePopups()) details.close(); },
  keyHook: (e) => presenter.handleKey(e),
  onLocked: () => classroom.nudge(),
});
new Console(connection, model);
initTheme();

connection.addEventListener('hello', (e) => model.applyHello(e.detail));
connection.addEventListener('snapshot', (e) => model.applySnapshot(e.detail));
connection.addEventListener('frame', (e) => model.applyFrame(e.detail));
connection.addEventListener('status', (e) => clockView.showStatus(e.detail));
connection.connect();

// For tests and for curious people with a console open.
window.playground = { model, connection, details, actions, presenter, lessons, editor, classroom, metrics, zoom, focus, stage, renders: () => stage.renders, viewTimes: stage.viewTimes };
