-- migrate:up
set local role lending_owner;

comment on schema lending is
  'The public SQL API of Lendgres: documented functions returning jsonb. Callers need lending_api. Each function '
  'acts for one actor: the one the HTTP service names in `actor`, or the one the caller''s login role is mapped to.';

-- Which events an actor may read follows from what its role may read: the family of an event type (its part
-- before the dot) names the operation that reads its resources. A family nobody may read is shown to nobody.
create table lending_private.event_family (
  family text primary key,
  read_operation text not null references lending_private.operation
);
comment on table lending_private.event_family is
  'Event type families (application, ...) and the read operation a role needs to see their events.';
insert into lending_private.event_family (family, read_operation) values ('application', 'read_applications');

-- Writes check the actor's permission where they used to only record it. Every function authorizes first, in its
-- declarations: an assignment, which PL/pgSQL evaluates as a plain expression where PERFORM would run a query.
create or replace function lending.apply(
  amount numeric,
  applicant_name text default null,
  applicant_id bigint default null,
  applicant_email text default null,
  applicant_phone text default null,
  applicant_external_ref text default null,
  currency text default 'USD',
  term_months integer default null,
  purpose text default null,
  external_ref text default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('apply', actor, request_id);
  v_request jsonb;
  v_replay jsonb;
  v_applicant_id bigint := apply.applicant_id;
  v_minor_units smallint;
  v_existing_party bigint;
  v_application_id bigint;
begin
  v_request := jsonb_build_object(
    'amount', amount, 'applicant_name', applicant_name, 'applicant_id', applicant_id,
    'applicant_email', applicant_email, 'applicant_phone', applicant_phone,
    'applicant_external_ref', applicant_external_ref, 'currency', currency, 'term_months', term_months,
    'purpose', purpose, 'external_ref', external_ref);
  v_replay := lending_private.idempotency_claim(idempotency_key, 'apply', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  select c.minor_units into v_minor_units from lending_private.currency as c where c.code = apply.currency;
  perform lending_private.fail_if_invalid(array[
      lending_private.field_error('amount', lending_private.amount_error(amount, v_minor_units)),
      lending_private.field_error('currency', lending_private.currency_error(currency)),
      lending_private.field_error('term_months', lending_private.term_months_error(term_months)),
      lending_private.field_error('purpose', lending_private.text_error(purpose, 500)),
      lending_private.field_error('external_ref', lending_private.text_error(external_ref, 100))]
    || case
      when applicant_id is null then array[
        lending_private.field_error('applicant_name', lending_private.text_error(applicant_name, 255, true)),
        lending_private.field_error('applicant_email', lending_private.email_error(applicant_email)),
        lending_private.field_error('applicant_phone', lending_private.phone_error(applicant_phone)),
        lending_private.field_error('applicant_external_ref', lending_private.text_error(applicant_external_ref, 100))]
      when num_nonnulls(applicant_name, applicant_email, applicant_phone, applicant_external_ref) > 0 then array[
        lending_private.field_error('applicant_id',
          'give either applicant_id or the applicant''s fields (applicant_name, applicant_email, applicant_phone, applicant_external_ref), not both')]
      when not exists (select from lending_private.party as p where p.party_id = apply.applicant_id) then array[
        lending_private.field_error('applicant_id', format('no applicant has id %s', applicant_id))]
      else '{}'::jsonb[]
    end);

  if v_applicant_id is null then
    select p.party_id into v_existing_party from lending_private.party as p
     where p.external_ref = apply.applicant_external_ref;
    if v_existing_party is not null then
      perform lending_private.fail(
        'applicant_exists',
        format('An applicant with external_ref %L already exists (applicant_id %s)', applicant_external_ref,
               v_existing_party),
        jsonb_build_object('applicant_id', v_existing_party, 'applicant_external_ref', applicant_external_ref));
    end if;
    insert into lending_private.party (name, email, phone, external_ref)
    values (applicant_name, applicant_email, applicant_phone, applicant_external_ref)
    returning party_id into v_applicant_id;
  end if;

  insert into lending_private.application (applicant_id, amount, currency, term_months, purpose, external_ref)
  values (v_applicant_id, amount, currency, term_months, purpose, external_ref)
  returning application_id into v_application_id;

  return lending_private.idempotency_complete(idempotency_key, 'apply', v_request, jsonb_build_object(
    'status', 201, 'body', lending_private.application_json(v_application_id)));
end;
$$;
comment on function lending.apply(numeric, text, bigint, text, text, text, text, integer, text, text, text, text, text) is
$$Files a loan application in status pending.

The applicant is either an existing one (applicant_id) or new, from applicant_name (required then),
applicant_email, applicant_phone and applicant_external_ref. amount is exact: > 0, at most 10000000.00, at most
2 decimal places (fewer if the currency has fewer). currency is an ISO 4217 code (default USD); term_months is
1-480; purpose at most 500 characters; external_ref at most 100. A repeated idempotency_key with the same
arguments returns the first response and writes nothing.
Returns: {status: 201, body: application, replayed}; the application as lending.get_application shows it.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, applicant_exists, idempotency_key_reused.$$;

create or replace function lending.decide(
  application_id bigint,
  outcome text,
  reason text,
  reason_codes text[] default '{}',
  expected_version integer default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('decide', actor, request_id);
  v_request jsonb;
  v_replay jsonb;
  v_application lending_private.application;
  v_decision lending_private.decision;
begin
  v_request := jsonb_build_object(
    'application_id', application_id, 'outcome', outcome, 'reason', reason, 'reason_codes', reason_codes,
    'expected_version', expected_version);
  v_replay := lending_private.idempotency_claim(idempotency_key, 'decide', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('outcome', case
      when outcome is null then 'is required'
      when outcome not in ('approved', 'rejected', 'manual_review')
        then 'must be one of approved, rejected, manual_review' end),
    lending_private.field_error('reason', lending_private.text_error(reason, 2000, true)),
    lending_private.field_error('reason_codes', lending_private.reason_codes_error(reason_codes))]);

  v_application := lending_private.lock_application(application_id, expected_version);
  perform lending_private.check_transition(application_id, v_application.status, outcome);

  insert into lending_private.decision (application_id, outcome, reason, reason_codes, decided_by, request_id)
  values (application_id, outcome, reason, coalesce(reason_codes, '{}'), lending_private.current_actor(),
          lending_private.current_request_id())
  returning * into v_decision;

  update lending_private.application as a set status = outcome
   where a.application_id = decide.application_id
  returning * into v_application;

  return lending_private.idempotency_complete(idempotency_key, 'decide', v_request, jsonb_build_object(
    'status', 201,
    'body', lending_private.decision_json(v_decision)
            || jsonb_build_object('status', v_application.status, 'version', v_application.version)));
end;
$$;
comment on function lending.decide(bigint, text, text, text[], integer, text, text, text) is
$$Records an underwriting decision and moves the application to its outcome.

outcome is approved, rejected or manual_review; reason is 1-2000 characters; reason_codes is an optional list of
up to 20 short codes (letters, digits, _ . : -). The application is locked, the transition checked against the
status machine, a decision row appended and the status moved, all in one transaction. With expected_version the
call fails unless the application is at that version. Decisions are append-only.
Returns: {status: 201, body: decision with the application's new status and version, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found, version_conflict, invalid_transition, idempotency_key_reused.$$;

create or replace function lending.withdraw(
  application_id bigint,
  reason text default null,
  expected_version integer default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('withdraw', actor, request_id);
  v_request jsonb;
  v_replay jsonb;
  v_application lending_private.application;
begin
  v_request := jsonb_build_object(
    'application_id', application_id, 'reason', reason, 'expected_version', expected_version);
  v_replay := lending_private.idempotency_claim(idempotency_key, 'withdraw', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('reason', lending_private.text_error(reason, 2000))]);
  v_application := lending_private.lock_application(application_id, expected_version);
  perform lending_private.check_transition(application_id, v_application.status, 'withdrawn');

  update lending_private.application as a set status = 'withdrawn', withdrawal_reason = reason
   where a.application_id = withdraw.application_id;

  return lending_private.idempotency_complete(idempotency_key, 'withdraw', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;
comment on function lending.withdraw(bigint, text, integer, text, text, text) is
$$Withdraws an application at the applicant's request.

Only a pending or manual_review application can be withdrawn; reason (optional, at most 2000 characters) is kept
on the application. With expected_version the call fails unless the application is at that version.
Returns: {status: 200, body: application, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found, version_conflict, invalid_transition, idempotency_key_reused.$$;

-- Reads take the actor too, and check its permission.
drop function lending.get_application(bigint);
drop function lending.list_applications(text, integer, text);
drop function lending.application_audit(bigint);
drop function lending.events_after(text, integer, bigint, text);

create function lending.get_application(application_id bigint, actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_applications', actor, null);
  v_application jsonb := lending_private.application_json(application_id);
begin
  if v_application is null then
    perform lending_private.fail_application_not_found(application_id);
  end if;
  return v_application;
end;
$$;
comment on function lending.get_application(bigint, text) is
$$Reads one application with its applicant, latest decision and decision history.

Amounts are decimal strings with two places; timestamps are RFC 3339 in UTC. decision is the latest decision or
null; decisions lists them all, oldest first; next_statuses lists where the status machine allows it to go next.
Returns: the application.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.$$;

create function lending.list_applications(
  status text default null,
  "limit" integer default 50,
  after text default null,
  actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_applications', actor, null);
  v_after bigint;
  v_ids bigint[];
  v_next text;
begin
  if after is not null then
    begin
      v_after := convert_from(decode(after, 'base64'), 'UTF8')::bigint;
    exception when others then
      v_after := null;
    end;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('status', case
      when status is not null and not exists (select from lending_private.application_status as s
                                               where s.status = list_applications.status)
        then format('must be one of %s',
                    (select string_agg(s.status, ', ' order by s.status) from lending_private.application_status as s))
      end),
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 100
                                              then 'must be between 1 and 100' end),
    lending_private.field_error('after', case when after is not null and v_after is null
                                              then 'must be a next_cursor returned by an earlier page' end)]);

  select array_agg(a.application_id order by a.application_id desc) into v_ids
    from (select a.application_id from lending_private.application as a
           where (list_applications.status is null or a.status = list_applications.status)
             and (v_after is null or a.application_id < v_after)
           order by a.application_id desc
           limit "limit" + 1) as a;

  if cardinality(v_ids) > "limit" then
    v_next := encode(convert_to(v_ids["limit"]::text, 'UTF8'), 'base64');
    v_ids := v_ids[1:"limit"];
  end if;
  return jsonb_build_object(
    'items', (select coalesce(jsonb_agg(lending_private.application_json(i.id, false) order by i.id desc), '[]')
                from unnest(v_ids) as i(id)),
    'next_cursor', v_next);
end;
$$;
comment on function lending.list_applications(text, integer, text, text) is
$$Lists applications newest first, one page at a time.

status filters by status; limit is 1-100 (default 50); after is the next_cursor of the previous page. Items carry
the application without its decision history; next_cursor is null on the last page.
Returns: {items: [application], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;

create function lending.application_audit(application_id bigint, actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_audit', actor, null);
begin
  if not exists (select from lending_private.application as a where a.application_id = application_audit.application_id) then
    perform lending_private.fail_application_not_found(application_id);
  end if;
  return jsonb_build_object('application_id', application_id)
    || lending_private.verify_audit_chain('application', application_id)
    || jsonb_build_object('entries', (
         select coalesce(jsonb_agg(jsonb_build_object(
                  'seq', l.seq, 'table', l.table_name, 'row_id', l.row_id, 'action', l.action,
                  'old', l.old_values, 'new', l.new_values, 'actor', l.actor, 'request_id', l.request_id,
                  'recorded_at', lending_private.json_time(l.recorded_at), 'row_hash', encode(l.row_hash, 'hex'))
                  order by l.seq), '[]')
           from lending_private.audit_log as l
          where l.subject = 'application' and l.subject_id = application_audit.application_id));
end;
$$;
comment on function lending.application_audit(bigint, text) is
$$Reads an application's audit trail in order and verifies its hash chain.

Every insert and update of the application and its decisions is one entry: the table, the row, the action, the
changed fields before and after, the actor, the request id and the time. The chain is recomputed from the first
entry: verified is false, with broken_at_seq and problem, when any entry was edited, removed or reordered.
Returns: {application_id, verified, rows_checked, broken_at_seq, problem, entries: [...]}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.$$;

create function lending.events_after(
  after text default null,
  "limit" integer default 100,
  application_id bigint default null,
  event_type text default null,
  actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_events', actor, null);
  v_families text[];
  v_horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  v_after_is_cursor boolean := after ~ '^[0-9]{1,20}-[0-9]{1,19}$';
  v_after_transaction xid8 := '0';
  v_after_event bigint := 0;
  v_events jsonb;
  v_last_cursor text;
begin
  if v_after_is_cursor then
    v_after_transaction := split_part(after, '-', 1)::xid8;
    v_after_event := split_part(after, '-', 2)::bigint;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('after', case when not v_after_is_cursor
                                              then 'must be a next_cursor returned by an earlier call' end),
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 1000
                                              then 'must be between 1 and 1000' end),
    lending_private.field_error('event_type', lending_private.event_type_error(event_type))]);
  -- The families of events (application, and later loan) whose resources this actor's role may read.
  select array_agg(f.family) into v_families
    from lending_private.event_family as f
    join lending_private.role_operation as p on p.operation = f.read_operation and p.role = v_role;

  select coalesce(jsonb_agg(jsonb_build_object(
           'cursor', lending_private.event_cursor(e.transaction_id, e.event_id),
           'event_type', e.event_type, 'application_id', e.application_id, 'payload', e.payload,
           'actor', e.actor, 'request_id', e.request_id, 'occurred_at', lending_private.json_time(e.occurred_at))
           order by e.transaction_id, e.event_id), '[]'),
         (array_agg(lending_private.event_cursor(e.transaction_id, e.event_id)
                    order by e.transaction_id desc, e.event_id desc))[1]
    into v_events, v_last_cursor
    from (select * from lending_private.event as e
           where (e.transaction_id, e.event_id) > (v_after_transaction, v_after_event)
             and e.transaction_id < v_horizon
             and split_part(e.event_type, '.', 1) = any (v_families)
             and (events_after.application_id is null or e.application_id = events_after.application_id)
             and (events_after.event_type is null or e.event_type = events_after.event_type)
           order by e.transaction_id, e.event_id
           limit "limit") as e;

  return jsonb_build_object(
    'events', v_events,
    'next_cursor', coalesce(v_last_cursor, after, lending_private.event_cursor(v_after_transaction, v_after_event)));
end;
$$;
comment on function lending.events_after(text, integer, bigint, text, text) is
$$Reads the events feed in commit order, after a cursor.

Events record every state change: application.filed, application.decided, application.withdrawn and
application.updated, each with the application_id, a small payload, the actor and the request id. Pass the
next_cursor of the previous call as after (omit it to start from the beginning); an event appears only once every
transaction that could precede it has finished, so a cursor never skips one. Filters: application_id and
event_type. limit is 1-1000 (default 100). The actor sees only the events of what its role may read.
Returns: {events: [{cursor, event_type, application_id, payload, actor, request_id, occurred_at}], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;

drop function lending_private.begin_call(text, text);

grant execute on function
  lending.get_application(bigint, text),
  lending.list_applications(text, integer, text, text),
  lending.application_audit(bigint, text),
  lending.events_after(text, integer, bigint, text, text)
to lending_api;

reset role;

-- migrate:down
set local role lending_owner;

comment on schema lending is
  'The public SQL API of Lendgres: documented functions returning jsonb. Callers need lending_api.';
drop function lending.events_after(text, integer, bigint, text, text);
drop function lending.application_audit(bigint, text);
drop function lending.list_applications(text, integer, text, text);
drop function lending.get_application(bigint, text);

create function lending_private.begin_call(actor text, request_id text)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('actor', lending_private.text_error(actor, 200)),
    lending_private.field_error('request_id', lending_private.text_error(request_id, 200))]);
  perform set_config('lending.actor', coalesce(actor, ''), true);
  perform set_config('lending.request_id', coalesce(request_id, ''), true);
end;
$$;
comment on function lending_private.begin_call(text, text) is
  'Validates the caller''s actor and request id and hands them to the audit triggers for this transaction.';

create or replace function lending.apply(
  amount numeric,
  applicant_name text default null,
  applicant_id bigint default null,
  applicant_email text default null,
  applicant_phone text default null,
  applicant_external_ref text default null,
  currency text default 'USD',
  term_months integer default null,
  purpose text default null,
  external_ref text default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_request jsonb;
  v_replay jsonb;
  v_applicant_id bigint := apply.applicant_id;
  v_minor_units smallint;
  v_existing_party bigint;
  v_application_id bigint;
begin
  perform lending_private.begin_call(actor, request_id);
  v_request := jsonb_build_object(
    'amount', amount, 'applicant_name', applicant_name, 'applicant_id', applicant_id,
    'applicant_email', applicant_email, 'applicant_phone', applicant_phone,
    'applicant_external_ref', applicant_external_ref, 'currency', currency, 'term_months', term_months,
    'purpose', purpose, 'external_ref', external_ref);
  v_replay := lending_private.idempotency_claim(idempotency_key, 'apply', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  select c.minor_units into v_minor_units from lending_private.currency as c where c.code = apply.currency;
  perform lending_private.fail_if_invalid(array[
      lending_private.field_error('amount', lending_private.amount_error(amount, v_minor_units)),
      lending_private.field_error('currency', lending_private.currency_error(currency)),
      lending_private.field_error('term_months', lending_private.term_months_error(term_months)),
      lending_private.field_error('purpose', lending_private.text_error(purpose, 500)),
      lending_private.field_error('external_ref', lending_private.text_error(external_ref, 100))]
    || case
      when applicant_id is null then array[
        lending_private.field_error('applicant_name', lending_private.text_error(applicant_name, 255, true)),
        lending_private.field_error('applicant_email', lending_private.email_error(applicant_email)),
        lending_private.field_error('applicant_phone', lending_private.phone_error(applicant_phone)),
        lending_private.field_error('applicant_external_ref', lending_private.text_error(applicant_external_ref, 100))]
      when num_nonnulls(applicant_name, applicant_email, applicant_phone, applicant_external_ref) > 0 then array[
        lending_private.field_error('applicant_id',
          'give either applicant_id or the applicant''s fields (applicant_name, applicant_email, applicant_phone, applicant_external_ref), not both')]
      when not exists (select from lending_private.party as p where p.party_id = apply.applicant_id) then array[
        lending_private.field_error('applicant_id', format('no applicant has id %s', applicant_id))]
      else '{}'::jsonb[]
    end);

  if v_applicant_id is null then
    select p.party_id into v_existing_party from lending_private.party as p
     where p.external_ref = apply.applicant_external_ref;
    if v_existing_party is not null then
      perform lending_private.fail(
        'applicant_exists',
        format('An applicant with external_ref %L already exists (applicant_id %s)', applicant_external_ref,
               v_existing_party),
        jsonb_build_object('applicant_id', v_existing_party, 'applicant_external_ref', applicant_external_ref));
    end if;
    insert into lending_private.party (name, email, phone, external_ref)
    values (applicant_name, applicant_email, applicant_phone, applicant_external_ref)
    returning party_id into v_applicant_id;
  end if;

  insert into lending_private.application (applicant_id, amount, currency, term_months, purpose, external_ref)
  values (v_applicant_id, amount, currency, term_months, purpose, external_ref)
  returning application_id into v_application_id;

  return lending_private.idempotency_complete(idempotency_key, 'apply', v_request, jsonb_build_object(
    'status', 201, 'body', lending_private.application_json(v_application_id)));
end;
$$;
comment on function lending.apply(numeric, text, bigint, text, text, text, text, integer, text, text, text, text, text) is
$$Files a loan application in status pending.

The applicant is either an existing one (applicant_id) or new, from applicant_name (required then),
applicant_email, applicant_phone and applicant_external_ref. amount is exact: > 0, at most 10000000.00, at most
2 decimal places (fewer if the currency has fewer). currency is an ISO 4217 code (default USD); term_months is
1-480; purpose at most 500 characters; external_ref at most 100. A repeated idempotency_key with the same
arguments returns the first response and writes nothing.
Returns: {status: 201, body: application, replayed}; the application as lending.get_application shows it.
Errors: validation_failed, applicant_exists, idempotency_key_reused.$$;

create or replace function lending.decide(
  application_id bigint,
  outcome text,
  reason text,
  reason_codes text[] default '{}',
  expected_version integer default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_request jsonb;
  v_replay jsonb;
  v_application lending_private.application;
  v_decision lending_private.decision;
begin
  perform lending_private.begin_call(actor, request_id);
  v_request := jsonb_build_object(
    'application_id', application_id, 'outcome', outcome, 'reason', reason, 'reason_codes', reason_codes,
    'expected_version', expected_version);
  v_replay := lending_private.idempotency_claim(idempotency_key, 'decide', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('outcome', case
      when outcome is null then 'is required'
      when outcome not in ('approved', 'rejected', 'manual_review')
        then 'must be one of approved, rejected, manual_review' end),
    lending_private.field_error('reason', lending_private.text_error(reason, 2000, true)),
    lending_private.field_error('reason_codes', lending_private.reason_codes_error(reason_codes))]);

  v_application := lending_private.lock_application(application_id, expected_version);
  perform lending_private.check_transition(application_id, v_application.status, outcome);

  insert into lending_private.decision (application_id, outcome, reason, reason_codes, decided_by, request_id)
  values (application_id, outcome, reason, coalesce(reason_codes, '{}'), lending_private.current_actor(),
          lending_private.current_request_id())
  returning * into v_decision;

  update lending_private.application as a set status = outcome
   where a.application_id = decide.application_id
  returning * into v_application;

  return lending_private.idempotency_complete(idempotency_key, 'decide', v_request, jsonb_build_object(
    'status', 201,
    'body', lending_private.decision_json(v_decision)
            || jsonb_build_object('status', v_application.status, 'version', v_application.version)));
end;
$$;
comment on function lending.decide(bigint, text, text, text[], integer, text, text, text) is
$$Records an underwriting decision and moves the application to its outcome.

outcome is approved, rejected or manual_review; reason is 1-2000 characters; reason_codes is an optional list of
up to 20 short codes (letters, digits, _ . : -). The application is locked, the transition checked against the
status machine, a decision row appended and the status moved, all in one transaction. With expected_version the
call fails unless the application is at that version. Decisions are append-only.
Returns: {status: 201, body: decision with the application's new status and version, replayed}.
Errors: validation_failed, not_found, version_conflict, invalid_transition, idempotency_key_reused.$$;

create or replace function lending.withdraw(
  application_id bigint,
  reason text default null,
  expected_version integer default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_request jsonb;
  v_replay jsonb;
  v_application lending_private.application;
begin
  perform lending_private.begin_call(actor, request_id);
  v_request := jsonb_build_object(
    'application_id', application_id, 'reason', reason, 'expected_version', expected_version);
  v_replay := lending_private.idempotency_claim(idempotency_key, 'withdraw', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('reason', lending_private.text_error(reason, 2000))]);
  v_application := lending_private.lock_application(application_id, expected_version);
  perform lending_private.check_transition(application_id, v_application.status, 'withdrawn');

  update lending_private.application as a set status = 'withdrawn', withdrawal_reason = reason
   where a.application_id = withdraw.application_id;

  return lending_private.idempotency_complete(idempotency_key, 'withdraw', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;
comment on function lending.withdraw(bigint, text, integer, text, text, text) is
$$Withdraws an application at the applicant's request.

Only a pending or manual_review application can be withdrawn; reason (optional, at most 2000 characters) is kept
on the application. With expected_version the call fails unless the application is at that version.
Returns: {status: 200, body: application, replayed}.
Errors: validation_failed, not_found, version_conflict, invalid_transition, idempotency_key_reused.$$;

create function lending.get_application(application_id bigint)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_application jsonb := lending_private.application_json(application_id);
begin
  if v_application is null then
    perform lending_private.fail_application_not_found(application_id);
  end if;
  return v_application;
end;
$$;
comment on function lending.get_application(bigint) is
$$Reads one application with its applicant, latest decision and decision history.

Amounts are decimal strings with two places; timestamps are RFC 3339 in UTC. decision is the latest decision or
null; decisions lists them all, oldest first; next_statuses lists where the status machine allows it to go next.
Returns: the application.
Errors: not_found.$$;

create function lending.list_applications(status text default null, "limit" integer default 50, after text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_after bigint;
  v_ids bigint[];
  v_next text;
begin
  if after is not null then
    begin
      v_after := convert_from(decode(after, 'base64'), 'UTF8')::bigint;
    exception when others then
      v_after := null;
    end;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('status', case
      when status is not null and not exists (select from lending_private.application_status as s
                                               where s.status = list_applications.status)
        then format('must be one of %s',
                    (select string_agg(s.status, ', ' order by s.status) from lending_private.application_status as s))
      end),
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 100
                                              then 'must be between 1 and 100' end),
    lending_private.field_error('after', case when after is not null and v_after is null
                                              then 'must be a next_cursor returned by an earlier page' end)]);

  select array_agg(a.application_id order by a.application_id desc) into v_ids
    from (select a.application_id from lending_private.application as a
           where (list_applications.status is null or a.status = list_applications.status)
             and (v_after is null or a.application_id < v_after)
           order by a.application_id desc
           limit "limit" + 1) as a;

  if cardinality(v_ids) > "limit" then
    v_next := encode(convert_to(v_ids["limit"]::text, 'UTF8'), 'base64');
    v_ids := v_ids[1:"limit"];
  end if;
  return jsonb_build_object(
    'items', (select coalesce(jsonb_agg(lending_private.application_json(i.id, false) order by i.id desc), '[]')
                from unnest(v_ids) as i(id)),
    'next_cursor', v_next);
end;
$$;
comment on function lending.list_applications(text, integer, text) is
$$Lists applications newest first, one page at a time.

status filters by status; limit is 1-100 (default 50); after is the next_cursor of the previous page. Items carry
the application without its decision history; next_cursor is null on the last page.
Returns: {items: [application], next_cursor}.
Errors: validation_failed.$$;

create function lending.application_audit(application_id bigint)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if not exists (select from lending_private.application as a where a.application_id = application_audit.application_id) then
    perform lending_private.fail_application_not_found(application_id);
  end if;
  return jsonb_build_object('application_id', application_id)
    || lending_private.verify_audit_chain('application', application_id)
    || jsonb_build_object('entries', (
         select coalesce(jsonb_agg(jsonb_build_object(
                  'seq', l.seq, 'table', l.table_name, 'row_id', l.row_id, 'action', l.action,
                  'old', l.old_values, 'new', l.new_values, 'actor', l.actor, 'request_id', l.request_id,
                  'recorded_at', lending_private.json_time(l.recorded_at), 'row_hash', encode(l.row_hash, 'hex'))
                  order by l.seq), '[]')
           from lending_private.audit_log as l
          where l.subject = 'application' and l.subject_id = application_audit.application_id));
end;
$$;
comment on function lending.application_audit(bigint) is
$$Reads an application's audit trail in order and verifies its hash chain.

Every insert and update of the application and its decisions is one entry: the table, the row, the action, the
changed fields before and after, the actor, the request id and the time. The chain is recomputed from the first
entry: verified is false, with broken_at_seq and problem, when any entry was edited, removed or reordered.
Returns: {application_id, verified, rows_checked, broken_at_seq, problem, entries: [...]}.
Errors: not_found.$$;

create function lending.events_after(
  after text default null,
  "limit" integer default 100,
  application_id bigint default null,
  event_type text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  v_after_is_cursor boolean := after ~ '^[0-9]{1,20}-[0-9]{1,19}$';
  v_after_transaction xid8 := '0';
  v_after_event bigint := 0;
  v_events jsonb;
  v_last_cursor text;
begin
  if v_after_is_cursor then
    v_after_transaction := split_part(after, '-', 1)::xid8;
    v_after_event := split_part(after, '-', 2)::bigint;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('after', case when not v_after_is_cursor
                                              then 'must be a next_cursor returned by an earlier call' end),
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 1000
                                              then 'must be between 1 and 1000' end),
    lending_private.field_error('event_type', lending_private.event_type_error(event_type))]);

  select coalesce(jsonb_agg(jsonb_build_object(
           'cursor', lending_private.event_cursor(e.transaction_id, e.event_id),
           'event_type', e.event_type, 'application_id', e.application_id, 'payload', e.payload,
           'actor', e.actor, 'request_id', e.request_id, 'occurred_at', lending_private.json_time(e.occurred_at))
           order by e.transaction_id, e.event_id), '[]'),
         (array_agg(lending_private.event_cursor(e.transaction_id, e.event_id)
                    order by e.transaction_id desc, e.event_id desc))[1]
    into v_events, v_last_cursor
    from (select * from lending_private.event as e
           where (e.transaction_id, e.event_id) > (v_after_transaction, v_after_event)
             and e.transaction_id < v_horizon
             and (events_after.application_id is null or e.application_id = events_after.application_id)
             and (events_after.event_type is null or e.event_type = events_after.event_type)
           order by e.transaction_id, e.event_id
           limit "limit") as e;

  return jsonb_build_object(
    'events', v_events,
    'next_cursor', coalesce(v_last_cursor, after, lending_private.event_cursor(v_after_transaction, v_after_event)));
end;
$$;
comment on function lending.events_after(text, integer, bigint, text) is
$$Reads the events feed in commit order, after a cursor.

Events record every state change: application.filed, application.decided, application.withdrawn and
application.updated, each with the application_id, a small payload, the actor and the request id. Pass the
next_cursor of the previous call as after (omit it to start from the beginning); an event appears only once every
transaction that could precede it has finished, so a cursor never skips one. Filters: application_id and
event_type. limit is 1-1000 (default 100).
Returns: {events: [{cursor, event_type, application_id, payload, actor, request_id, occurred_at}], next_cursor}.
Errors: validation_failed.$$;

grant execute on function
  lending.get_application(bigint),
  lending.list_applications(text, integer, text),
  lending.application_audit(bigint),
  lending.events_after(text, integer, bigint, text)
to lending_api;

drop table lending_private.event_family;
reset role;
