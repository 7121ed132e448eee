// The live hubs (SignalR JSON protocol): /hubs/live for staff pages, /hubs/monitoring for the monitoring dashboards. signalr.min.js (npm @microsoft/signalr, served
// from /web/lib) is loaded by the page before the modules and defines window.signalR.

const RETRY_DELAYS = [0, 2000, 5000, 10000, 30000];

/**
 * Connects and keeps connecting. `handlers`: queueChanged, ticketChanged, presence (server calls); connected(connection,
 * isReconnect) after every (re)connection, where the page (re)subscribes; status(state) with connecting, connected,
 * reconnecting or offline. `url` (default /hubs/live) and `methods` (the server calls listened to, default the live
 * queue's) choose another hub.
 */
export function connectLive(handlers) {
  const signalR = window.signalR;
  const status = handlers.status || (() => {});
  if (!signalR) {
    status('offline');
    return null;
  }
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(handlers.url || '/hubs/live')
    .withAutomaticReconnect(RETRY_DELAYS)
    .configureLogging(signalR.LogLevel.None)
    .build();
  for (const name of handlers.methods || ['queueChanged', 'ticketChanged', 'presence']) {
    if (handlers[name]) connection.on(name, handlers[name]);
  }
  connection.onreconnecting(() => status('reconnecting'));
  connection.onreconnected(async () => {
    status('connected');
    await safely(() => handlers.connected?.(connection, true));
  });
  // Automatic reconnection gave up (or the first start failed): keep trying, more slowly.
  connection.onclose(() => {
    status('offline');
    schedule(true);
  });

  let attempt = 0;
  let everConnected = false;
  async function start() {
    status(everConnected ? 'reconnecting' : 'connecting');
    try {
      await connection.start();
      attempt = 0;
      status('connected');
      const isReconnect = everConnected;
      everConnected = true;
      await safely(() => handlers.connected?.(connection, isReconnect));
    } catch {
      status('offline');
      schedule(false);
    }
  }
  function schedule(fromClose) {
    if (connection.state !== signalR.HubConnectionState.Disconnected) return;
    const delay = RETRY_DELAYS[Math.min(attempt++, RETRY_DELAYS.length - 1)] || (fromClose ? 1000 : 2000);
    setTimeout(start, delay);
  }
  start();
  return connection;
}

async function safely(fn) {
  try {
    await fn();
  } catch (error) {
    console.warn('live update handler failed', error);
  }
}

/** Shows the connection state in `element` (text plus a coloured dot). */
export function showLiveStatus(element, state) {
  const text = {
    connecting: 'Live updates: connecting…',
    connected: 'Live updates: on',
    reconnecting: 'Live updates: reconnecting…',
    offline: 'Live updates: unavailable, retrying (reload to refresh)',
  }[state] || state;
  element.className = `live-dot live-${state}`;
  element.textContent = text;
}
