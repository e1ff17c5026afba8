// Value schema of `md.alerts`: what the detector found on one instrument, with the evidence.

import { Type, type Static } from '@sinclair/typebox';
import { literals, marketEventFields, NonEmptyText } from './primitives.ts';

export const AlertV1 = Type.Object(
  {
    ...marketEventFields,
    alertId: Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'unique id (replays produce the same id)',
    }),
    rule: Type.String({
      pattern: '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*$',
      maxLength: 128,
      description: 'id of the rule that fired (book.crossed, sequence.gap, price.spike)',
    }),
    severity: literals(['info', 'warning', 'critical']),
    message: NonEmptyText,
    evidence: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 64 }),
          value: Type.String({ maxLength: 1024, description: 'decimals as exact text, ids as text' }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 64, description: 'the observations that made the rule fire' },
    ),
  },
  {
    additionalProperties: false,
    description: '`timestamp`/`localTimestamp` are those of the market event that made the rule fire',
  },
);
export type Alert = Static<typeof AlertV1>;
