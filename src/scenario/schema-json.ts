/**
 * Writes scenarios/schema.json, the JSON Schema editors use for completion and help on
 * scenario files (`# yaml-language-server: $schema=./schema.json`). Generated from the
 * same TypeBox schema the loader validates with, so the two cannot drift; a test checks
 * the committed file is current.
 *
 * Run: `npm run schema`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ScenarioSchema } from './schema.ts';

/** Where the generated schema lives, next to the scenarios that reference it. */
export const SCHEMA_JSON_PATH = fileURLToPath(new URL('../../scenarios/schema.json', import.meta.url));

/** The schema file's text: draft-07 (what yaml-language-server and VS Code read best), pretty, with a final newline. */
export function renderScenarioSchema(): string {
  const { title, description, ...rest } = ScenarioSchema as unknown as Record<string, unknown>;
  const doc = { $schema: 'http://json-schema.org/draft-07/schema#', title, description, ...rest };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (import.meta.main) {
  writeFileSync(SCHEMA_JSON_PATH, renderScenarioSchema());
  console.log(`wrote ${SCHEMA_JSON_PATH}`);
}
