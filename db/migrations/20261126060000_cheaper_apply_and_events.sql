-- migrate:up
set local role lending_owner;

-- Three cuts in what every apply does (callgrind, instructions per lending.apply on a fresh data folder; see
-- bench/README.md).

-- 1. apply's response is built without looking for decisions: the application was filed in the same call.
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
set enable_seqscan = off
as $$
declare
  v_role text := lending_private.authorize('apply', actor, request_id);
  v_request jsonb;
  v_replay jsonb;
  v_applicant_id bigint := apply.applicant_id;
  v_applicant_exists boolean;
  v_minor_units smallint;
  v_field_errors jsonb[];
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
  if applicant_id is not null then
    v_applicant_exists := exists (select from lending_private.party as p where p.party_id = apply.applicant_id);
  end if;
  v_field_errors := array[
      lending_private.field_error('amount', lending_private.amount_error(amount, v_minor_units)),
      lending_private.field_error('currency', case when v_minor_units is null
                                                   then lending_private.currency_error(currency) end),
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
      when not v_applicant_exists then array[
        lending_private.field_error('applicant_id', format('no applicant has id %s', applicant_id))]
      else '{}'::jsonb[]
    end;
  if num_nonnulls(variadic v_field_errors) > 0 then
    perform lending_private.fail_if_invalid(v_field_errors);
  end if;

  if v_applicant_id is null then
    if applicant_external_ref is not null then
      select p.party_id into v_existing_party from lending_private.party as p
       where p.external_ref = apply.applicant_external_ref;
      if v_existing_party is not null then
        perform lending_private.fail(
          'applicant_exists',
          format('An applicant with external_ref %L already exists (applicant_id %s)', applicant_external_ref,
                 v_existing_party),
          jsonb_build_object('applicant_id', v_existing_party, 'applicant_external_ref', applicant_external_ref));
      end if;
    end if;
    insert into lending_private.party (name, email, phone, external_ref)
    values (applicant_name, applicant_email, applicant_phone, applicant_external_ref)
    returning party_id into v_applicant_id;
  end if;

  insert into lending_private.application (applicant_id, amount, currency, term_months, purpose, external_ref)
  values (v_applicant_id, amount, currency, term_months, purpose, external_ref)
  returning application_id into v_application_id;

  -- The application was filed just now, so it has no decisions: its document is built without looking for them.
  return lending_private.idempotency_complete(idempotency_key, 'apply', v_request, jsonb_build_object(
    'status', 201, 'body', lending_private.application_json(v_application_id, with_decisions => false)
                           || '{"decision": null, "decisions": []}'));
end;
$$;

-- 2. The expired-key cleanup runs on about one keyed write in eight instead of every one, removing up to 32 keys
-- instead of 4: the same bound on the table, an eighth of the statements.
create or replace function lending_private.idempotency_complete(idempotency_key text, operation text, request jsonb,
                                                     response jsonb)
returns jsonb
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if idempotency_key is not null then
    insert into lending_private.idempotency_key (actor, idempotency_key, operation, request_hash, response)
    values (lending_private.current_actor(), idempotency_key, operation,
            lending_private.request_hash(operation, request), response);
    -- Keep the table bounded without a scheduler: about one write in eight that stores a key also removes up to 32
    -- expired ones (four per write on average, more than each adds), skipping any that a concurrent transaction
    -- holds, so writers never wait on each other here. Ordered by expiry, the scan walks the expiry index and stops
    -- at the first live key, however large the table. A coin decides, not a counter (a row every writer would
    -- update) nor the key (a client whose keys never qualified would never clean up).
    if random() < 0.125 then
      delete from lending_private.idempotency_key as k
       using (select e.actor, e.idempotency_key from lending_private.idempotency_key as e
               where e.expires_at <= now() order by e.expires_at limit 32 for update skip locked) as expired
       where k.actor = expired.actor and k.idempotency_key = expired.idempotency_key;
    end if;
  end if;
  return response || jsonb_build_object('replayed', false);
end;
$$;

-- 3. The event trigger writes its event itself. append_event, its only caller, was a PL/pgSQL call with its own
-- search_path to set and restore, run as a query (PERFORM), once per change of an application.
create or replace function lending_private.record_application_event()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_event_type text;
  v_payload jsonb := jsonb_build_object('status', new.status, 'version', new.version);
begin
  if tg_op = 'INSERT' then
    v_event_type := 'application.filed';
  elsif new.status is distinct from old.status then
    v_payload := v_payload || jsonb_build_object('previous_status', old.status);
    if new.status = 'withdrawn' then
      v_event_type := 'application.withdrawn';
    else
      v_event_type := 'application.decided';
      v_payload := v_payload || jsonb_build_object(
        'decision', (select jsonb_build_object('decision_id', d.decision_id, 'outcome', d.outcome,
                                               'reason_codes', to_jsonb(d.reason_codes))
                       from lending_private.decision as d
                      where d.application_id = new.application_id and d.outcome = new.status
                      order by d.decision_id desc limit 1));
    end if;
  elsif new is distinct from old then
    v_event_type := 'application.updated';
  else
    return null;
  end if;
  insert into lending_private.event (application_id, event_type, payload, actor, request_id)
  values (new.application_id, v_event_type, v_payload, lending_private.current_actor(),
          lending_private.current_request_id());
  if exists (select from lending_private.event_watcher) then
    perform pg_notify('lending_events', '');
  end if;
  return null;
end;
$$;

drop function lending_private.append_event(bigint, text, jsonb);

reset role;

-- migrate:down
set local role lending_owner;

create function lending_private.append_event(application_id bigint, event_type text, payload jsonb)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  insert into lending_private.event (application_id, event_type, payload, actor, request_id)
  values (application_id, event_type, payload, lending_private.current_actor(), lending_private.current_request_id());
  if exists (select from lending_private.event_watcher) then
    perform pg_notify('lending_events', '');
  end if;
end;
$$;

comment on function lending_private.append_event(bigint, text, jsonb) is
  'Appends an event for an application and, while anyone watches, notifies the lending_events channel at commit.';

create or replace function lending_private.record_application_event()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_payload jsonb := jsonb_build_object('status', new.status, 'version', new.version);
begin
  if tg_op = 'INSERT' then
    perform lending_private.append_event(new.application_id, 'application.filed', v_payload);
  elsif new.status is distinct from old.status then
    v_payload := v_payload || jsonb_build_object('previous_status', old.status);
    if new.status = 'withdrawn' then
      perform lending_private.append_event(new.application_id, 'application.withdrawn', v_payload);
    else
      perform lending_private.append_event(new.application_id, 'application.decided', v_payload || jsonb_build_object(
        'decision', (select jsonb_build_object('decision_id', d.decision_id, 'outcome', d.outcome,
                                               'reason_codes', to_jsonb(d.reason_codes))
                       from lending_private.decision as d
                      where d.application_id = new.application_id and d.outcome = new.status
                      order by d.decision_id desc limit 1)));
    end if;
  elsif new is distinct from old then
    perform lending_private.append_event(new.application_id, 'application.updated', v_payload);
  end if;
  return null;
end;
$$;

create or replace function lending_private.idempotency_complete(idempotency_key text, operation text, request jsonb,
                                                     response jsonb)
returns jsonb
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if idempotency_key is not null then
    insert into lending_private.idempotency_key (actor, idempotency_key, operation, request_hash, response)
    values (lending_private.current_actor(), idempotency_key, operation,
            lending_private.request_hash(operation, request), response);
    -- Keep the table bounded without a scheduler: each write that stores a key removes a few expired ones (more
    -- than it adds), skipping any that a concurrent transaction holds, so writers never wait on each other here.
    -- Ordered by expiry, the scan walks the expiry index and stops at the first live key, however large the table.
    delete from lending_private.idempotency_key as k
     using (select e.actor, e.idempotency_key from lending_private.idempotency_key as e
             where e.expires_at <= now() order by e.expires_at limit 4 for update skip locked) as expired
     where k.actor = expired.actor and k.idempotency_key = expired.idempotency_key;
  end if;
  return response || jsonb_build_object('replayed', false);
end;
$$;

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
set enable_seqscan = off
as $$
declare
  v_role text := lending_private.authorize('apply', actor, request_id);
  v_request jsonb;
  v_replay jsonb;
  v_applicant_id bigint := apply.applicant_id;
  v_applicant_exists boolean;
  v_minor_units smallint;
  v_field_errors jsonb[];
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
  if applicant_id is not null then
    v_applicant_exists := exists (select from lending_private.party as p where p.party_id = apply.applicant_id);
  end if;
  v_field_errors := array[
      lending_private.field_error('amount', lending_private.amount_error(amount, v_minor_units)),
      lending_private.field_error('currency', case when v_minor_units is null
                                                   then lending_private.currency_error(currency) end),
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
      when not v_applicant_exists then array[
        lending_private.field_error('applicant_id', format('no applicant has id %s', applicant_id))]
      else '{}'::jsonb[]
    end;
  if num_nonnulls(variadic v_field_errors) > 0 then
    perform lending_private.fail_if_invalid(v_field_errors);
  end if;

  if v_applicant_id is null then
    if applicant_external_ref is not null then
      select p.party_id into v_existing_party from lending_private.party as p
       where p.external_ref = apply.applicant_external_ref;
      if v_existing_party is not null then
        perform lending_private.fail(
          'applicant_exists',
          format('An applicant with external_ref %L already exists (applicant_id %s)', applicant_external_ref,
                 v_existing_party),
          jsonb_build_object('applicant_id', v_existing_party, 'applicant_external_ref', applicant_external_ref));
      end if;
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

reset role;
