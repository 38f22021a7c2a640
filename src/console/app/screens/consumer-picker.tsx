/**
 * Choosing a consumer for a form (an OAuth client's, a credential's): a list of the first 100
 * active consumers by name (GET /v1/consumers), or, when that read is refused or there are more,
 * the consumer id typed by hand. `optional` adds a "none" choice.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, type Page } from '../api.js';
import type { Consumer } from './consumers.js';

export function ConsumerPicker({ id, value, onChange, optional = false, label = 'Consumer' }: { id: string; value: string; onChange: (consumerId: string) => void; optional?: boolean; label?: string }) {
  const [consumers, setConsumers] = useState<Consumer[] | null>(null);
  useEffect(() => {
    call<Page<Consumer>>('GET', '/v1/consumers?limit=100').then(
      (page) => setConsumers(page.nextCursor ? null : page.items.filter((item) => item.status === 'active')),
      () => setConsumers(null),
    );
  }, []);
  useEffect(() => {
    if (!optional && consumers && consumers.length > 0 && !value) onChange(consumers[0]!.id);
  }, [consumers]);
  if (!consumers)
    return (
      <>
        <label for={id}>{label} (its id, con_…)</label>
        <input id={id} required={!optional} value={value} onInput={(event) => onChange(event.currentTarget.value.trim())} />
      </>
    );
  return (
    <>
      <label for={id}>{label}</label>
      <select id={id} required={!optional} value={value} onChange={(event) => onChange(event.currentTarget.value)}>
        {optional && <option value="">none</option>}
        {consumers.map((item) => (
          <option value={item.id}>{item.name}</option>
        ))}
      </select>
    </>
  );
}
