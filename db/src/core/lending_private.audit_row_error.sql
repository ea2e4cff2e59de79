-- The audit log's one CHECK constraint (see audit_log.sql for why one). NULLs pass here and are refused by the
-- columns' NOT NULL.
create or replace function lending_private.audit_row_error(subject text, action text, seq integer, old_values jsonb)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    -- A new kind of chain (a new subject) is added here.
    when subject not in ('application', 'party', 'actor', 'product')
      then 'subject must be application, party, actor or product'
    when action not in ('insert', 'update') then 'action must be insert or update'
    when (action = 'update') <> (old_values is not null) then 'old_values are recorded for updates, and only for them'
    when seq < 1 then 'seq must be at least 1'
  end;
end;
$$;
comment on function lending_private.audit_row_error(text, text, integer, jsonb) is
  'What is wrong with an audit row''s subject, action, sequence number and old values, or null: the audit log''s '
  'CHECK constraint.';
