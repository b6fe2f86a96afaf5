/** Reading the JSON records the use cases keep in the lake's metadata zone. */
import type { DatasetId } from '../domain/contract/types.js';
import { lake } from '../domain/lake.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { IngestRecord } from './ingest/ingest.js';

/** The parsed object at `key`, or undefined when there is none. */
export async function readRecord<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  return (await store.head(key)) ? (JSON.parse(await store.getText(key)) as T) : undefined;
}

/** Key of the ingest record of the newest publication landed for the year (keys sort by publication). */
export async function latestIngestKey(
  store: ObjectStore,
  dataset: DatasetId,
  year: number,
): Promise<string | undefined> {
  let newest: string | undefined;
  for await (const o of store.list(lake.ingestRecordPrefix(dataset, year)))
    if (o.key.endsWith('.json') && (!newest || o.key > newest)) newest = o.key;
  return newest;
}

export async function latestIngestRecord(
  store: ObjectStore,
  dataset: DatasetId,
  year: number,
): Promise<IngestRecord | undefined> {
  const key = await latestIngestKey(store, dataset, year);
  return key ? readRecord<IngestRecord>(store, key) : undefined;
}
