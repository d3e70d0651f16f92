/**
 * The monolith's schema as versioned SQL, applied at start by the platform's `migrate()` (advisory
 * lock, bookkeeping in `legacy_schema_migrations`), so two replicas starting together apply it once.
 * Tables are the legacy contract's (seed-api.md, "Database"); TimescaleDB's hypertable becomes a
 * plain table with the same primary key and the index the drift and lag queries walk.
 */
import type { Migration } from '@smp/platform';

export const MIGRATIONS_TABLE = 'legacy_schema_migrations';

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'contract tables',
    sql: `
      CREATE TABLE IF NOT EXISTS sensors (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sensor_id varchar(255) NOT NULL UNIQUE,
        type varchar(50),
        location varchar(255),
        status varchar(50) NOT NULL DEFAULT 'active',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE IF NOT EXISTS sensor_readings (
        sensor_id varchar(255) NOT NULL,
        sensor_type varchar(50) NOT NULL,
        value double precision NOT NULL,
        unit varchar(50),
        "timestamp" timestamptz NOT NULL,
        quality double precision NOT NULL DEFAULT 1.0,
        sensor_metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("timestamp", sensor_id)
      );
      CREATE INDEX IF NOT EXISTS ix_sensor_readings_sensor_id_timestamp ON sensor_readings (sensor_id, "timestamp" DESC);

      CREATE TABLE IF NOT EXISTS anomaly_alerts (
        id uuid PRIMARY KEY,
        sensor_id varchar(255) NOT NULL,
        anomaly_type varchar(100) NOT NULL,
        severity integer NOT NULL CHECK (severity BETWEEN 1 AND 5),
        confidence double precision NOT NULL,
        description text NOT NULL,
        evidence jsonb NOT NULL DEFAULT '{}'::jsonb,
        recommended_actions text[] NOT NULL DEFAULT '{}',
        status varchar(50) NOT NULL DEFAULT 'open',
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX IF NOT EXISTS ix_anomaly_alerts_created_at ON anomaly_alerts (created_at DESC);
      CREATE INDEX IF NOT EXISTS ix_anomaly_alerts_sensor_id_created_at ON anomaly_alerts (sensor_id, created_at DESC);

      CREATE TABLE IF NOT EXISTS human_decisions (
        id uuid PRIMARY KEY,
        request_id varchar(255) NOT NULL,
        operator_id varchar(255) NOT NULL,
        decision varchar(255) NOT NULL,
        justification text,
        additional_notes text,
        confidence double precision NOT NULL DEFAULT 1.0,
        correlation_id varchar(255),
        "timestamp" timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX IF NOT EXISTS ix_human_decisions_timestamp ON human_decisions ("timestamp" DESC);
      CREATE INDEX IF NOT EXISTS ix_human_decisions_operator_id ON human_decisions (operator_id, "timestamp" DESC);
      CREATE INDEX IF NOT EXISTS ix_human_decisions_request_id ON human_decisions (request_id);
    `,
  },
];
