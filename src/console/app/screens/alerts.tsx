/**
 * Alerts: what fires and is pending on this node (with the silences hiding it), the silences in
 * force (create from an alert's labels or by hand, expire), and a test notification of a rule to a
 * sink through the real delivery path.
 */
import { useState } from 'preact/hooks';
import { call, can, type Session } from '../api.js';
import { formatTime, PagedTable, useChanges } from '../ui.js';

export interface Alert {
  id: string;
  rule: string;
  state: 'firing' | 'pending';
  severity: string;
  labels: Record<string, string>;
  summary: string;
  startsAt: string;
  silencedBy: string[];
  inhibited: boolean;
  runbookUrl?: string;
}

interface Silence {
  id: string;
  matchers: Record<string, string>;
  author: string;
  reason: string;
  startsAt: string;
  endsAt: string;
}

interface Sink {
  name: string;
  type: string;
}

const labelsText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');

/** `rule=upstream_down, upstream=payments` → matchers. */
function parseMatchers(text: string): Record<string, string> {
  const matchers: Record<string, string> = {};
  for (const part of text.split(/[,\n]/)) {
    const [name, ...value] = part.split('=');
    if (name?.trim() && value.length) matchers[name.trim()] = value.join('=').trim();
  }
  return matchers;
}

export function Alerts({ session }: { session: Session }) {
  const { ask: setPending, reload, dialog } = useChanges();
  const [matchers, setMatchers] = useState('');
  const [reason, setReason] = useState('');
  const [hours, setHours] = useState('2');
  const [testRule, setTestRule] = useState('upstream_down');
  const [testSink, setTestSink] = useState('');
  const [tested, setTested] = useState<string | null>(null);
  const silence = can(session, 'alerts:silence');

  const create = (event: Event) => {
    event.preventDefault();
    const parsed = parseMatchers(matchers);
    setPending({
      title: 'Silence alerts',
      summary: (
        <p>
          Silence every alert carrying {labelsText(parsed) || '(no label: give at least one)'} for {hours} hours, because: {reason}. Silenced alerts still show here; they are not sent.
        </p>
      ),
      action: 'Create silence',
      run: () => call('POST', '/v1/alerts/silences', { matchers: parsed, reason, durationSeconds: Math.round(Number(hours) * 3600) }),
    });
  };
  const expire = (item: Silence) =>
    setPending({
      title: 'End a silence',
      summary: <p>End the silence on {labelsText(item.matchers)} now: the alerts it hides are sent again.</p>,
      action: 'End silence',
      danger: true,
      run: () => call('DELETE', `/v1/alerts/silences/${item.id}`),
    });
  const test = (event: Event) => {
    event.preventDefault();
    setPending({
      title: 'Send a test alert',
      summary: (
        <p>
          Send a sample <strong>{testRule}</strong> alert to the sink <strong>{testSink}</strong> through the real delivery path (its receivers will see it, marked as a test).
        </p>
      ),
      action: 'Send test alert',
      run: async () => {
        const answer = await call<{ notification: string; delivered: boolean }>('POST', '/v1/alerts/test', { rule: testRule, sink: testSink });
        setTested(answer.delivered ? `Delivered (notification ${answer.notification}).` : `Queued, not delivered yet (notification ${answer.notification}): the sink retries.`);
      },
    });
  };

  return (
    <>
      <h1>Alerts</h1>
      <PagedTable<Alert>
        caption="Firing and pending alerts on this node"
        path="/v1/alerts"
        reload={reload}
        columns={[
          { label: 'Rule', render: (alert) => <strong>{alert.rule}</strong> },
          { label: 'State', render: (alert) => <span class={`state-${alert.state}`}>{alert.state}</span> },
          { label: 'Severity', render: (alert) => alert.severity },
          { label: 'Summary', render: (alert) => alert.summary },
          { label: 'Since', render: (alert) => formatTime(alert.startsAt) },
          { label: 'Hidden', render: (alert) => (alert.silencedBy.length ? 'silenced' : alert.inhibited ? 'inhibited' : '—') },
          {
            label: 'Actions',
            render: (alert) => (
              <span class="row-actions">
                {alert.runbookUrl && <a href={alert.runbookUrl}>Runbook</a>}
                {silence && (
                  <button type="button" onClick={() => setMatchers(labelsText({ rule: alert.rule, ...alert.labels }))} aria-label={`Silence ${alert.rule}`}>
                    Silence…
                  </button>
                )}
              </span>
            ),
          },
        ]}
      />
      {silence && (
        <form class="grid" onSubmit={create} aria-labelledby="silence-title">
          <h2 id="silence-title">Create a silence</h2>
          <label for="silence-matchers">Labels to match (name=value, separated by commas)</label>
          <input id="silence-matchers" required value={matchers} onInput={(event) => setMatchers(event.currentTarget.value)} />
          <label for="silence-reason">Reason</label>
          <input id="silence-reason" required value={reason} onInput={(event) => setReason(event.currentTarget.value)} />
          <label for="silence-hours">For (hours)</label>
          <input id="silence-hours" type="number" min="0.25" step="0.25" required value={hours} onInput={(event) => setHours(event.currentTarget.value)} />
          <button type="submit" class="primary">
            Create silence
          </button>
        </form>
      )}
      <PagedTable<Silence>
        caption="Silences in force or starting later"
        path="/v1/alerts/silences"
        reload={reload}
        columns={[
          { label: 'Matches', render: (item) => labelsText(item.matchers) },
          { label: 'Reason', render: (item) => item.reason },
          { label: 'By', render: (item) => item.author },
          { label: 'Ends', render: (item) => formatTime(item.endsAt) },
          {
            label: 'Actions',
            render: (item) =>
              silence ? (
                <button type="button" onClick={() => expire(item)} aria-label={`End the silence on ${labelsText(item.matchers)}`}>
                  End
                </button>
              ) : (
                '—'
              ),
          },
        ]}
      />
      <PagedTable<Sink> caption="Alert sinks (from the config file)" path="/v1/alerts/sinks" columns={[{ label: 'Name', render: (sink) => <code>{sink.name}</code> }, { label: 'Type', render: (sink) => sink.type }]} />
      {can(session, 'alerts:test') && (
        <form class="grid" onSubmit={test} aria-labelledby="test-title">
          <h2 id="test-title">Send a test alert</h2>
          <label for="test-rule">Rule</label>
          <input id="test-rule" required value={testRule} onInput={(event) => setTestRule(event.currentTarget.value)} />
          <label for="test-sink">Sink</label>
          <input id="test-sink" required value={testSink} onInput={(event) => setTestSink(event.currentTarget.value)} />
          <button type="submit">Send test alert</button>
          {tested && <p role="status">{tested}</p>}
        </form>
      )}
      {dialog}
    </>
  );
}
