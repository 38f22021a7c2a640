/** Response schemas of the inventory routes (GET /v1/inventory…), for validation and the OpenAPI description. */
import { Type } from '@sinclair/typebox';

const Strings = Type.Array(Type.String());
const Nullable = Type.Union([Type.String(), Type.Null()]);
const Figures = Type.Object({ requests: Type.Integer({ minimum: 0 }), errors: Type.Integer({ minimum: 0, description: '5xx responses, or none sent.' }), consumers: Type.Integer({ minimum: 0, description: 'Distinct identified consumers.' }) }, { additionalProperties: false });

export const InventoryRouteSchema = Type.Object(
  {
    name: Type.String(),
    methods: Strings,
    host: Nullable,
    path: Type.String(),
    upstream: Type.String(),
    egress: Type.Array(Type.String(), { description: "Origins of the upstream's targets." }),
    contract: Type.Union([Type.String(), Type.Null()], { description: "The contract, relative to the config file's folder." }),
    operations: Type.Array(Type.String(), { description: 'operationId, else METHOD /path, of each contract operation served.' }),
    wholeContract: Type.Boolean({ description: 'Bound to a whole contract (a catch-all), not to one operation.' }),
    version: Nullable,
    owner: Nullable,
    tags: Strings,
    authentication: Type.Array(Type.Union([Type.Literal('apiKey'), Type.Literal('jwt'), Type.Literal('mutualTLS')])),
    authenticationRequirement: Type.Union([Type.Literal('required'), Type.Literal('optional'), Type.Literal('none')], {
      description: 'required: a request without credentials is refused; optional: every authentication policy says required: false and nothing else refuses it, so anonymous requests pass; none: no authentication policy runs.',
    }),
    public: Type.Boolean(),
    scopes: Strings,
    methodScopes: Type.Record(Type.String(), Strings),
    contractSecurity: Type.Union(
      [
        Type.Array(
          Type.Object(
            {
              operation: Type.String(),
              anonymous: Type.Boolean({ description: 'A request without credentials passes.' }),
              alternatives: Type.Array(Type.Array(Type.Object({ scheme: Type.String(), type: Type.String({ description: 'apiKey, http bearer, oauth2, openIdConnect, mutualTLS.' }), scopes: Strings }, { additionalProperties: false })), { description: 'Any one alternative is enough; every scheme of it is needed.' }),
            },
            { additionalProperties: false },
          ),
        ),
        Type.Null(),
      ],
      { description: "With validate.security: enforce, each served operation's credentials and scopes from the contract's security; else null." },
    ),
    rateLimits: Type.Array(Type.Object({ name: Type.String(), limit: Type.Integer(), windowSeconds: Type.Integer() }, { additionalProperties: false })),
    validation: Type.Union([
      Type.Object({ enabled: Type.Literal(false) }, { additionalProperties: false }),
      Type.Object({ enabled: Type.Literal(true), unknownBodyProperties: Type.String(), unknownQueryParameters: Type.String(), responses: Type.String() }, { additionalProperties: false }),
    ]),
    fieldMinimisation: Type.Object({ response: Type.String(), request: Type.String() }, { additionalProperties: false, description: 'The fields policy per direction: allow, deny, rules or off.' }),
    lifecycle: Type.Object(
      {
        state: Type.Union([Type.Literal('active'), Type.Literal('announced'), Type.Literal('deprecated'), Type.Literal('sunset')]),
        deprecated: Nullable,
        sunset: Nullable,
        successor: Nullable,
      },
      { additionalProperties: false },
    ),
    traffic: Type.Union([Type.Object({ last24h: Figures, last30d: Figures }, { additionalProperties: false }), Type.Null()], { description: 'From the store (flushed each minute by every node).' }),
  },
  { additionalProperties: false },
);

export const ShadowSchema = Type.Object(
  {
    uncontracted: Type.Array(Type.Object({ route: Type.String(), methods: Strings, path: Type.String() }, { additionalProperties: false }), { description: 'Routes no contract describes.' }),
    unrouted: Type.Array(Type.Object({ contract: Type.String(), operation: Type.String(), method: Type.String(), path: Type.String() }, { additionalProperties: false }), { description: 'Contract operations no route serves.' }),
    unmatched: Type.Union([
      Type.Array(Type.Object({ route: Type.String(), method: Type.String(), template: Type.String(), count: Type.Integer({ minimum: 0 }), firstSeen: Type.String({ format: 'date-time' }), lastSeen: Type.String({ format: 'date-time' }) }, { additionalProperties: false })),
      Type.Null(),
    ], { description: 'Requests on whole-contract routes that matched no operation (30 days), by method and path template.' }),
  },
  { additionalProperties: false },
);

export const DeprecatedSchema = Type.Object(
  {
    routes: Type.Array(
      Type.Object(
        {
          route: Type.String(),
          state: Type.String(),
          deprecated: Nullable,
          sunset: Nullable,
          successor: Nullable,
          consumers: Type.Union([Type.Array(Type.Object({ consumer: Type.String(), requests: Type.Integer({ minimum: 0 }), lastSeen: Type.String({ format: 'date-time' }) }, { additionalProperties: false })), Type.Null()]),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Counts = Type.Object({ requests: Type.Integer({ minimum: 0 }), errors: Type.Integer({ minimum: 0, description: '5xx responses, or none sent.' }) }, { additionalProperties: false });

export const ConsumerTrafficSchema = Type.Object(
  {
    routes: Type.Array(Type.Object({ route: Type.String(), last24h: Counts, last30d: Counts, lastSeen: Type.String({ format: 'date-time' }) }, { additionalProperties: false }), { description: 'Routes the consumer called in the last 30 days, busiest first.' }),
  },
  { additionalProperties: false },
);
