import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configAjv, configValidator, schemaStamp } from './config-validator.js';
import { ConfigSchema } from './schema.js';

describe('the config validator', () => {
  test('is the one the build wrote, stamped with the schema in force', () => {
    assert.equal((configValidator() as { schemaStamp?: string }).schemaStamp, schemaStamp());
  });

  test('the written validator and one compiled now agree, secret references included', () => {
    const compiled = configAjv().compile(ConfigSchema);
    const config = (token: string) => ({ listeners: [{ name: 'p', port: 8080 }], upstreams: { u: { targets: ['http://10.0.0.5'], auth: { type: 'bearer', token } } }, routes: [] });
    for (const validate of [configValidator(), compiled]) {
      assert.equal(validate(config('${env:TOKEN}')), true);
      assert.equal(validate(config('sk_live_literal')), false);
      assert.deepEqual(validate.errors?.map((e) => [e.instancePath, e.keyword]), [['/upstreams/u/auth/token', 'secret']]);
    }
  });
});
