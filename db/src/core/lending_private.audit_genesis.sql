-- A SQL function with a standard body: it needs no SET clause to pin search_path, since its body is parsed when it
-- is created and every name in it is bound then; and without a SET clause the planner inlines it into the calling
-- expression, so a call costs nothing at run time. (A SQL function that cannot be inlined is set up again at every
-- call, which is why the helpers with more than one expression are PL/pgSQL.) Stable rather than immutable:
-- convert_to is stable, and an immutable function whose body is only stable is not inlined.
create or replace function lending_private.audit_genesis(subject text, subject_id bigint)
returns bytea
language sql
stable
begin atomic
  select sha256(convert_to(concat('lendgres audit chain ', subject, ' ', subject_id), 'UTF8'));
end;
comment on function lending_private.audit_genesis(text, bigint) is
  'What a chain''s first row links to. It names the chain, so that rows moved from another chain do not verify.';
