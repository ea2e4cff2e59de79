-- The digest of an audit row's content, over a canonical serialisation: jsonb's text form has a fixed key order and
-- spacing, and the one timestamp is written in UTC with a fixed pattern, so the digest depends neither on the
-- session's TimeZone nor on its DateStyle. The row's position is not part of it: the chain's links fix the order.
-- A standard-body SQL function, inlined where it is called (see audit_genesis).
create or replace function lending_private.audit_digest(
  subject text, subject_id bigint, table_name text, row_id text, action text, old_values jsonb, new_values jsonb,
  actor text, request_id text, recorded_at timestamptz)
returns bytea
language sql
stable
begin atomic
  select sha256(convert_to(jsonb_build_object(
    'subject', subject, 'subject_id', subject_id, 'table', table_name, 'row_id', row_id, 'action', action,
    'old', old_values, 'new', new_values, 'actor', actor, 'request_id', request_id,
    'recorded_at', to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text, 'UTF8'));
end;
comment on function lending_private.audit_digest(text, bigint, text, text, text, jsonb, jsonb, text, text, timestamptz) is
  'sha256 of an audit row''s canonical content: what the chain covers, and what survives a redaction.';
