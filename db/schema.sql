\restrict dbmate

-- Dumped from database version 18.6
-- Dumped by pg_dump version 18.6

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET transaction_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: lending; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA lending;


--
-- Name: SCHEMA lending; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA lending IS 'The public SQL API of Lendgres: documented functions returning jsonb. Callers need lending_api. Each function acts for one actor: the one the HTTP service names in `actor`, or the one the caller''s login role is mapped to.';


--
-- Name: lending_private; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA lending_private;


--
-- Name: SCHEMA lending_private; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA lending_private IS 'Tables, helpers and trigger functions of Lendgres. Not an API: only lending_owner and the reporting role see it.';


--
-- Name: decision_outcome; Type: DOMAIN; Schema: lending_private; Owner: -
--

CREATE DOMAIN lending_private.decision_outcome AS text
	CONSTRAINT decision_outcome_is_known CHECK ((VALUE = ANY (ARRAY['approved'::text, 'rejected'::text, 'manual_review'::text])));


--
-- Name: DOMAIN decision_outcome; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON DOMAIN lending_private.decision_outcome IS 'What an underwriting decision decided: approved, rejected or manual_review.';


--
-- Name: email_error(text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.email_error(value text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
begin
  return case
    when value is null then null
    when char_length(value) > 254 then 'must be at most 254 characters'
    when value !~ '^[^@\s]+@[^@\s]+\.[^@\s.]+$' then 'must be an email address such as jane@example.com'
  end;
end;
$_$;


--
-- Name: FUNCTION email_error(value text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.email_error(value text) IS 'What is wrong with an email address, or null.';


--
-- Name: email_address; Type: DOMAIN; Schema: lending_private; Owner: -
--

CREATE DOMAIN lending_private.email_address AS text
	CONSTRAINT email_address_is_valid CHECK ((lending_private.email_error(VALUE) IS NULL));


--
-- Name: DOMAIN email_address; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON DOMAIN lending_private.email_address IS 'An email address of at most 254 characters.';


--
-- Name: event_type_error(text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.event_type_error(event_type text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
begin
  return case when event_type !~ '^[a-z]+(\.[a-z_]+)+$' then 'must be an event type such as application.decided' end;
end;
$_$;


--
-- Name: FUNCTION event_type_error(event_type text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.event_type_error(event_type text) IS 'What is wrong with an event type name, or null.';


--
-- Name: event_type; Type: DOMAIN; Schema: lending_private; Owner: -
--

CREATE DOMAIN lending_private.event_type AS text
	CONSTRAINT event_type_is_valid CHECK ((lending_private.event_type_error(VALUE) IS NULL));


--
-- Name: DOMAIN event_type; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON DOMAIN lending_private.event_type IS 'An event''s type, such as application.filed: see lending_private.event_type_error.';


--
-- Name: text_error(text, integer, boolean); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.text_error(value text, max_length integer, required boolean DEFAULT false) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  c_invisible constant text :=
    '\u0009-\u000D\u0020\u0085\u00A0\u00AD\u034F\u061C\u115F\u1160\u1680\u17B4\u17B5\u180B-\u180F\u2000-\u200F'
    '\u2028-\u202F\u205F-\u206F\u2800\u3000\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFF8\U0001BCA0-\U0001BCA3'
    '\U0001D173-\U0001D17A\U000E0000-\U000E0FFF';
  c_control constant text := '\u0001-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069';
begin
  return case
    when value is null then case when required then 'is required' end
    when value !~ ('^[^' || c_control || ']*[^' || c_invisible || c_control || '][^' || c_control || ']*$') then
      case when value ~ ('^[' || c_invisible || ']*$') then 'must not be blank'
           else 'must not contain control characters (such as line breaks, tabs or bidirectional overrides)' end
    when char_length(value) > max_length then 'must be at most ' || max_length::text || ' characters'
  end;
end;
$_$;


--
-- Name: FUNCTION text_error(value text, max_length integer, required boolean); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.text_error(value text, max_length integer, required boolean) IS 'What is wrong with a free-text field (missing, blank, a control character, too long), or null.';


--
-- Name: external_ref; Type: DOMAIN; Schema: lending_private; Owner: -
--

CREATE DOMAIN lending_private.external_ref AS text
	CONSTRAINT external_ref_is_valid CHECK (((VALUE IS NULL) OR (lending_private.text_error(VALUE, 100) IS NULL)));


--
-- Name: DOMAIN external_ref; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON DOMAIN lending_private.external_ref IS 'A reference in another system: at most 100 characters, not blank.';


--
-- Name: idempotency_key_value; Type: DOMAIN; Schema: lending_private; Owner: -
--

CREATE DOMAIN lending_private.idempotency_key_value AS text
	CONSTRAINT idempotency_key_is_valid CHECK (((VALUE IS NULL) OR (lending_private.text_error(VALUE, 255) IS NULL)));


--
-- Name: DOMAIN idempotency_key_value; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON DOMAIN lending_private.idempotency_key_value IS 'An Idempotency-Key as the client sent it: 1-255 characters, not blank.';


--
-- Name: amount_error(numeric, smallint); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.amount_error(amount numeric, minor_units smallint DEFAULT 2) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return case
    when amount is null then 'is required'
    when amount = 'NaN' or amount in ('Infinity', '-Infinity') then 'must be a finite number'
    when amount <= 0 then 'must be greater than 0'
    when amount > 10000000 then 'must be at most 10000000.00'
    when scale(amount) > least(2, coalesce(minor_units, 2))
      then 'must have at most ' || least(2, coalesce(minor_units, 2))::text || ' decimal places'
  end;
end;
$$;


--
-- Name: FUNCTION amount_error(amount numeric, minor_units smallint); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.amount_error(amount numeric, minor_units smallint) IS 'What is wrong with a loan amount (finite, > 0, <= 10,000,000.00, at most 2 decimals or the currency''s), or null.';


--
-- Name: loan_amount; Type: DOMAIN; Schema: lending_private; Owner: -
--

CREATE DOMAIN lending_private.loan_amount AS numeric
	CONSTRAINT loan_amount_is_valid CHECK (((VALUE IS NULL) OR (lending_private.amount_error(VALUE) IS NULL)));


--
-- Name: DOMAIN loan_amount; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON DOMAIN lending_private.loan_amount IS 'An amount asked for: greater than 0, at most 10000000.00, at most 2 decimal places.';


--
-- Name: loan_purpose; Type: DOMAIN; Schema: lending_private; Owner: -
--

CREATE DOMAIN lending_private.loan_purpose AS text
	CONSTRAINT loan_purpose_is_valid CHECK (((VALUE IS NULL) OR (lending_private.text_error(VALUE, 500) IS NULL)));


--
-- Name: DOMAIN loan_purpose; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON DOMAIN lending_private.loan_purpose IS 'What a loan is for: at most 500 characters, not blank.';


--
-- Name: party_name; Type: DOMAIN; Schema: lending_private; Owner: -
--

CREATE DOMAIN lending_private.party_name AS text
	CONSTRAINT party_name_is_valid CHECK (((VALUE IS NULL) OR (lending_private.text_error(VALUE, 255) IS NULL)));


--
-- Name: DOMAIN party_name; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON DOMAIN lending_private.party_name IS 'A party''s name: 1-255 characters, not blank.';


--
-- Name: phone_error(text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.phone_error(value text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
begin
  return case
    when value is null then null
    when value !~ '^\+?[0-9][0-9 ().-]{3,30}[0-9]$'
      or char_length(regexp_replace(value, '[^0-9]', '', 'g')) not between 5 and 15
      then 'must be a phone number of 5 to 15 digits, optionally starting with + (for example +1 555 010 0199)'
  end;
end;
$_$;


--
-- Name: FUNCTION phone_error(value text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.phone_error(value text) IS 'What is wrong with a phone number, or null.';


--
-- Name: phone_number; Type: DOMAIN; Schema: lending_private; Owner: -
--

CREATE DOMAIN lending_private.phone_number AS text
	CONSTRAINT phone_number_is_valid CHECK ((lending_private.phone_error(VALUE) IS NULL));


--
-- Name: DOMAIN phone_number; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON DOMAIN lending_private.phone_number IS 'A phone number of 5 to 15 digits, optionally starting with +.';


--
-- Name: reason; Type: DOMAIN; Schema: lending_private; Owner: -
--

CREATE DOMAIN lending_private.reason AS text
	CONSTRAINT reason_is_valid CHECK (((VALUE IS NULL) OR (lending_private.text_error(VALUE, 2000) IS NULL)));


--
-- Name: DOMAIN reason; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON DOMAIN lending_private.reason IS 'Why something was done: at most 2000 characters, not blank.';


--
-- Name: reason_codes_error(text[]); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.reason_codes_error(reason_codes text[]) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
begin
  return case
    when reason_codes is null then null
    when cardinality(reason_codes) > 20 then 'must hold at most 20 codes'
    when exists (select from unnest(reason_codes) as c where c is null or c !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$')
      then 'each code must be 1 to 64 letters, digits, or _ . : - (for example DTI_TOO_HIGH)'
  end;
end;
$_$;


--
-- Name: FUNCTION reason_codes_error(reason_codes text[]); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.reason_codes_error(reason_codes text[]) IS 'What is wrong with a list of reason codes, or null.';


--
-- Name: reason_codes; Type: DOMAIN; Schema: lending_private; Owner: -
--

CREATE DOMAIN lending_private.reason_codes AS text[]
	CONSTRAINT reason_codes_are_valid CHECK ((lending_private.reason_codes_error(VALUE) IS NULL));


--
-- Name: DOMAIN reason_codes; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON DOMAIN lending_private.reason_codes IS 'Machine-readable reasons: see lending_private.reason_codes_error.';


--
-- Name: row_version; Type: DOMAIN; Schema: lending_private; Owner: -
--

CREATE DOMAIN lending_private.row_version AS integer
	CONSTRAINT row_version_is_positive CHECK ((VALUE >= 1));


--
-- Name: DOMAIN row_version; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON DOMAIN lending_private.row_version IS 'A row''s version for optimistic concurrency: from 1, up by one per change.';


--
-- Name: term_months_error(integer); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.term_months_error(term_months integer) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return case when term_months not between 1 and 480 then 'must be between 1 and 480 months' end;
end;
$$;


--
-- Name: FUNCTION term_months_error(term_months integer); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.term_months_error(term_months integer) IS 'What is wrong with a loan term, or null.';


--
-- Name: term_months; Type: DOMAIN; Schema: lending_private; Owner: -
--

CREATE DOMAIN lending_private.term_months AS integer
	CONSTRAINT term_months_is_valid CHECK ((lending_private.term_months_error(VALUE) IS NULL));


--
-- Name: DOMAIN term_months; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON DOMAIN lending_private.term_months IS 'A loan''s term: 1-480 months.';


--
-- Name: application_audit(bigint, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.application_audit(application_id bigint, actor text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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


--
-- Name: FUNCTION application_audit(application_id bigint, actor text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.application_audit(application_id bigint, actor text) IS 'Reads an application''s audit trail in order and verifies its hash chain.

Every insert and update of the application and its decisions is one entry: the table, the row, the action, the
changed fields before and after, the actor, the request id and the time. The chain is recomputed from the first
entry: verified is false, with broken_at_seq and problem, when any entry was edited, removed or reordered.
Returns: {application_id, verified, rows_checked, broken_at_seq, problem, entries: [...]}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.';


--
-- Name: apply(numeric, text, bigint, text, text, text, text, integer, text, text, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.apply(amount numeric, applicant_name text DEFAULT NULL::text, applicant_id bigint DEFAULT NULL::bigint, applicant_email text DEFAULT NULL::text, applicant_phone text DEFAULT NULL::text, applicant_external_ref text DEFAULT NULL::text, currency text DEFAULT 'USD'::text, term_months integer DEFAULT NULL::integer, purpose text DEFAULT NULL::text, external_ref text DEFAULT NULL::text, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    AS $$
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
    -- A taken applicant_external_ref is found by the insert itself: ON CONFLICT waits for a concurrent apply that
    -- inserted the same one and, once that commits, inserts nothing. A look-up before a plain insert missed such an
    -- apply, whose insert then failed on the unique constraint: one condition answered with two codes. (Under
    -- REPEATABLE READ, where the other's row stays invisible, PostgreSQL raises a serialization failure: retry.)
    insert into lending_private.party (name, email, phone, external_ref)
    values (applicant_name, applicant_email, applicant_phone, applicant_external_ref)
    on conflict on constraint party_external_ref_is_unique do nothing
    returning party_id into v_applicant_id;
    if v_applicant_id is null then
      select p.party_id into v_existing_party from lending_private.party as p
       where p.external_ref = apply.applicant_external_ref;
      perform lending_private.fail(
        'applicant_exists',
        format('An applicant with external_ref %L already exists (applicant_id %s)', applicant_external_ref,
               v_existing_party),
        jsonb_build_object('applicant_id', v_existing_party, 'applicant_external_ref', applicant_external_ref));
    end if;
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


--
-- Name: FUNCTION apply(amount numeric, applicant_name text, applicant_id bigint, applicant_email text, applicant_phone text, applicant_external_ref text, currency text, term_months integer, purpose text, external_ref text, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.apply(amount numeric, applicant_name text, applicant_id bigint, applicant_email text, applicant_phone text, applicant_external_ref text, currency text, term_months integer, purpose text, external_ref text, actor text, request_id text, idempotency_key text) IS 'Files a loan application in status pending.

The applicant is either an existing one (applicant_id) or new, from applicant_name (required then),
applicant_email, applicant_phone and applicant_external_ref. amount is exact: > 0, at most 10000000.00, at most
2 decimal places (fewer if the currency has fewer). currency is an ISO 4217 code (default USD); term_months is
1-480; purpose at most 500 characters; external_ref at most 100. A repeated idempotency_key with the same
arguments returns the first response and writes nothing.
Returns: {status: 201, body: application, replayed}; the application as lending.get_application shows it.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, applicant_exists, idempotency_key_reused.';


--
-- Name: authenticate(text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.authenticate(api_key text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_result jsonb;
begin
  select jsonb_build_object('actor', a.name, 'kind', a.kind, 'role', a.role, 'key_id', k.key_id,
                            'expires_at', lending_private.json_time(k.expires_at))
    into v_result
    from lending_private.api_key as k
    join lending_private.actor as a on a.actor_id = k.actor_id
   where k.key_hash = sha256(convert_to(api_key, 'UTF8'))
     and k.revoked_at is null and k.expires_at > now() and a.active;
  if v_result is null then
    perform lending_private.fail('unauthenticated', 'The API key is unknown, expired or revoked, or its actor is deactivated');
  end if;
  return v_result;
end;
$$;


--
-- Name: FUNCTION authenticate(api_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.authenticate(api_key text) IS 'Resolves an API key to the actor it belongs to; for the HTTP service only.

The key is hashed and looked up; it must be neither expired nor revoked, and its actor active. Only members of
lending_gateway may call this: the HTTP service passes the resolved actor to every other function.
Returns: {actor, kind, role, key_id, expires_at}.
Errors: unauthenticated.';


--
-- Name: create_actor(text, text, text, text, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.create_actor(name text, kind text, role text, db_role text DEFAULT NULL::text, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  -- Authorized first: that names the acting actor, whose keys idempotency_claim then looks in.
  v_role text := lending_private.authorize('manage_actors', actor, request_id);
  v_request jsonb := jsonb_build_object('name', name, 'kind', kind, 'role', role, 'db_role', db_role);
  v_replay jsonb;
  v_actor lending_private.actor;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'create_actor', v_request);
  if v_replay is not null then
    return v_replay;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('name', lending_private.actor_name_error(name)),
    lending_private.field_error('kind', case when kind is null or kind not in ('agent', 'human', 'service')
                                             then 'must be one of agent, human, service' end),
    lending_private.field_error('role', lending_private.actor_role_error(role)),
    lending_private.field_error('db_role', case
      when db_role is null then null
      when not exists (select from pg_catalog.pg_roles as r where r.rolname = create_actor.db_role)
        then 'must be an existing PostgreSQL login role'
      when not pg_has_role(db_role, 'lending_api', 'MEMBER') then 'must be a role granted lending_api'
      when pg_has_role(db_role, 'lending_gateway', 'MEMBER') or pg_has_role(db_role, 'lending_owner', 'MEMBER')
        then 'must not be the HTTP service''s or an operator''s role: those name their actor'
      when exists (select from lending_private.actor as a where a.db_role = create_actor.db_role)
        then 'is already mapped to another actor' end)]);
  -- A taken name is found by the insert itself, which waits for a concurrent create_actor of the same name: a
  -- look-up first would miss that one, and the insert then fail on the unique constraint (a second code for one
  -- condition).
  insert into lending_private.actor (name, kind, role, db_role)
  values (name, kind, role, db_role)
  on conflict on constraint actor_name_key do nothing
  returning * into v_actor;
  if v_actor.actor_id is null then
    perform lending_private.fail('actor_exists', format('Actor %s already exists', name),
                                 jsonb_build_object('name', name));
  end if;
  return lending_private.idempotency_complete(idempotency_key, 'create_actor', v_request,
                                              jsonb_build_object('status', 201,
                                                                 'body', lending_private.actor_json(v_actor)));
end;
$$;


--
-- Name: FUNCTION create_actor(name text, kind text, role text, db_role text, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.create_actor(name text, kind text, role text, db_role text, actor text, request_id text, idempotency_key text) IS 'Creates an actor: an agent, a human or a service, with one role.

name is 1-100 letters, digits and . _ @ -; kind is agent, human or service; role is reader, intake, underwriter,
reviewer, servicer or admin. db_role maps a PostgreSQL login role (granted lending_api) to the actor, so that a
service calling the SQL API as that role acts as this actor. A repeated idempotency_key with the same arguments
returns the first response and writes nothing.
Returns: {status: 201, body: actor, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, actor_exists, idempotency_key_reused.';


--
-- Name: create_api_key(text, integer, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.create_api_key(for_actor text, expires_in_days integer DEFAULT 90, label text DEFAULT NULL::text, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_owner lending_private.actor;
  v_secret text;
  v_key lending_private.api_key;
begin
  perform lending_private.authorize('manage_keys', actor, request_id);
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('for_actor', lending_private.actor_name_error(for_actor)),
    lending_private.field_error('expires_in_days', case when expires_in_days is null
                                                          or expires_in_days not between 1 and 3650
                                                        then 'must be between 1 and 3650' end),
    lending_private.field_error('label', lending_private.text_error(label, 100))]);
  v_owner := lending_private.find_actor(for_actor);
  -- Three version-4 UUIDs from the server's strong random source: 366 random bits in 48 bytes.
  v_secret := 'lgk_' || translate(encode(decode(
                replace(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
                'hex'), 'base64'), '+/', '-_');
  insert into lending_private.api_key (actor_id, key_hash, prefix, label, expires_at)
  values (v_owner.actor_id, sha256(convert_to(v_secret, 'UTF8')), left(v_secret, 12), label,
          now() + make_interval(days => expires_in_days))
  returning * into v_key;
  return jsonb_build_object('status', 201,
                            'body', lending_private.api_key_json(v_key) || jsonb_build_object('api_key', v_secret),
                            'replayed', false);
end;
$$;


--
-- Name: FUNCTION create_api_key(for_actor text, expires_in_days integer, label text, actor text, request_id text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.create_api_key(for_actor text, expires_in_days integer, label text, actor text, request_id text) IS 'Makes an API key for an actor and shows its secret, once.

for_actor names the key''s actor; the key acts with that actor''s role. expires_in_days is 1-3650 (default 90);
label (at most 100 characters) says what the key is for. Only the key''s sha256 is stored: keep api_key now, it
cannot be shown again. Send it as `Authorization: Bearer <api_key>`.
Returns: {status: 201, body: {key_id, actor, prefix, label, created_at, expires_at, revoked_at, state, api_key}, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.';


--
-- Name: decide(bigint, text, text, text[], integer, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.decide(application_id bigint, outcome text, reason text, reason_codes text[] DEFAULT '{}'::text[], expected_version integer DEFAULT NULL::integer, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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


--
-- Name: FUNCTION decide(application_id bigint, outcome text, reason text, reason_codes text[], expected_version integer, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.decide(application_id bigint, outcome text, reason text, reason_codes text[], expected_version integer, actor text, request_id text, idempotency_key text) IS 'Records an underwriting decision and moves the application to its outcome.

outcome is approved, rejected or manual_review; reason is 1-2000 characters; reason_codes is an optional list of
up to 20 short codes (letters, digits, _ . : -). The application is locked, the transition checked against the
status machine, a decision row appended and the status moved, all in one transaction. With expected_version the
call fails unless the application is at that version. Decisions are append-only.
Returns: {status: 201, body: decision with the application''s new status and version, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found, version_conflict, invalid_transition, idempotency_key_reused.';


--
-- Name: events_after(text, integer, bigint, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.events_after(after text DEFAULT NULL::text, "limit" integer DEFAULT 100, application_id bigint DEFAULT NULL::bigint, event_type text DEFAULT NULL::text, actor text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $_$
declare
  v_role text := lending_private.authorize('read_events', actor, null);
  -- Every transaction below the snapshot's xmin has finished: no event can appear below it any more.
  v_horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  v_position text[] := regexp_match(lending_private.cursor_text(after), '^(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,18})$');
  v_after_transaction xid8 := '0';
  v_after_event bigint := 0;
  v_after_error text;
  v_families text[];
  v_every_family boolean;
  v_types text[];
  v_events lending_private.event[];
begin
  -- A cursor names a position the feed has reached: an event's, or the horizon of an earlier call. One beyond the
  -- horizon was not given by this feed, and would answer empty pages until the feed caught up with it.
  if after is null then
    null;  -- from the beginning
  elsif v_position is null or v_position[2]::numeric > 9223372036854775807 then
    v_after_error := 'must be a next_cursor returned by an earlier call';
  elsif (v_position[1]::numeric, v_position[2]::numeric) > (v_horizon::text::numeric, 0) then
    v_after_error := 'is beyond the end of the feed: pass a next_cursor returned by an earlier call';
  else
    v_after_transaction := v_position[1]::xid8;
    v_after_event := v_position[2]::bigint;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('after', v_after_error),
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 1000
                                              then 'must be between 1 and 1000' end),
    lending_private.field_error('event_type', lending_private.event_type_error(event_type))]);
  -- The families of events (application, and later loan) whose resources this actor's role may read.
  select coalesce(array_agg(f.family) filter (where p.role is not null), '{}'), bool_and(p.role is not null)
    into v_families, v_every_family
    from lending_private.event_family as f
    left join lending_private.role_operation as p on p.operation = f.read_operation and p.role = v_role;

  if application_id is not null then
    select array_agg(e order by (e).transaction_id, (e).event_id) into v_events
      from (select e from lending_private.event as e
             where e.application_id = events_after.application_id
               and (e.transaction_id, e.event_id) > (v_after_transaction, v_after_event)
               and e.transaction_id < v_horizon
               and (events_after.event_type is null or e.event_type = events_after.event_type)
               and split_part(e.event_type, '.', 1) = any (v_families)
             order by e.transaction_id, e.event_id
             limit "limit") as page(e);
  elsif event_type is null and v_every_family then
    select array_agg(e order by (e).transaction_id, (e).event_id) into v_events
      from (select e from lending_private.event as e
             where (e.transaction_id, e.event_id) > (v_after_transaction, v_after_event)
               and e.transaction_id < v_horizon
             order by e.transaction_id, e.event_id
             limit "limit") as page(e);
  else
    if event_type is not null then
      v_types := case when split_part(event_type, '.', 1) = any (v_families) then array[event_type] else '{}' end;
    else
      -- The types there are, one index probe each (there are few), and of them those the role may read.
      with recursive present(event_type) as (
        select min(e.event_type) from lending_private.event as e
        union all
        select (select min(e.event_type) from lending_private.event as e where e.event_type > p.event_type)
          from present as p where p.event_type is not null)
      select coalesce(array_agg(p.event_type), '{}') into v_types
        from present as p where split_part(p.event_type, '.', 1) = any (v_families);
    end if;
    select array_agg(e order by (e).transaction_id, (e).event_id) into v_events
      from (select e from unnest(v_types) as t(event_type)
              cross join lateral (
                select e from lending_private.event as e
                 -- This type's events from the cursor to the horizon, as bounds on the type's index
                 -- (event_of_type), which alone reads them in this order. Written as an equality on the type and
                 -- an order by position, the planner may read the primary key in that order instead and filter the
                 -- type out, which is cheap only where the type is common: for a rare one, it reads the whole feed.
                 where (e.event_type, e.transaction_id, e.event_id) > (t.event_type, v_after_transaction, v_after_event)
                   and (e.event_type, e.transaction_id) < (t.event_type, v_horizon)
                 order by e.event_type, e.transaction_id, e.event_id
                 limit "limit") as of_type
             order by (e).transaction_id, (e).event_id
             limit "limit") as page(e);
  end if;

  return jsonb_build_object(
    'events', (select coalesce(jsonb_agg(jsonb_build_object(
                 'cursor', lending_private.event_cursor(e.transaction_id, e.event_id),
                 'event_type', e.event_type, 'application_id', e.application_id, 'payload', e.payload,
                 'actor', e.actor, 'request_id', e.request_id, 'occurred_at', lending_private.json_time(e.occurred_at))
                 order by e.transaction_id, e.event_id), '[]')
                 from unnest(v_events) as e),
    'next_cursor', case when cardinality(v_events) = "limit"
                        then lending_private.event_cursor((v_events["limit"]).transaction_id,
                                                          (v_events["limit"]).event_id)
                        else lending_private.event_cursor(v_horizon, 0) end);
end;
$_$;


--
-- Name: FUNCTION events_after(after text, "limit" integer, application_id bigint, event_type text, actor text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.events_after(after text, "limit" integer, application_id bigint, event_type text, actor text) IS 'Reads the events feed in commit order, after a cursor.

Events record every state change: application.filed, application.decided, application.withdrawn and
application.updated, each with the application_id, a small payload, the actor and the request id. Pass the
next_cursor of the previous call as after (omit it to start from the beginning); an event appears only once every
transaction that could precede it has finished, so a cursor never skips one. Cursors are opaque: pass them back as
they came; one that this feed did not give is refused (validation_failed). A page shorter than limit has read
everything there was, and its next_cursor moves past all of it even when no event matched. Filters: application_id
and event_type. limit is 1-1000 (default 100). The actor sees only the events of what its role may read.
Returns: {events: [{cursor, event_type, application_id, payload, actor, request_id, occurred_at}], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.';


--
-- Name: get_application(bigint, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.get_application(application_id bigint, actor text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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


--
-- Name: FUNCTION get_application(application_id bigint, actor text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.get_application(application_id bigint, actor text) IS 'Reads one application with its applicant, latest decision and decision history.

Amounts are decimal strings with two places; timestamps are RFC 3339 in UTC. decision is the latest decision or
null; decisions lists them all, oldest first; next_statuses lists where the status machine allows it to go next.
Returns: the application.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.';


--
-- Name: list_actors(text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.list_actors(actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lending_private.authorize('manage_actors', actor, request_id);
  return jsonb_build_object('items', (select coalesce(jsonb_agg(lending_private.actor_json(a) order by a.name), '[]')
                                        from lending_private.actor as a));
end;
$$;


--
-- Name: FUNCTION list_actors(actor text, request_id text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.list_actors(actor text, request_id text) IS 'Lists every actor, by name.

Returns: {items: [actor]}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.';


--
-- Name: list_api_keys(text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.list_api_keys(for_actor text DEFAULT NULL::text, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lending_private.authorize('manage_keys', actor, request_id);
  return jsonb_build_object('items', (
    select coalesce(jsonb_agg(lending_private.api_key_json(k) order by k.key_id), '[]')
      from lending_private.api_key as k
     where for_actor is null
        or k.actor_id = (select a.actor_id from lending_private.actor as a where a.name = list_api_keys.for_actor)));
end;
$$;


--
-- Name: FUNCTION list_api_keys(for_actor text, actor text, request_id text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.list_api_keys(for_actor text, actor text, request_id text) IS 'Lists API keys, all or one actor''s, without their secrets.

Each key shows its prefix (its first characters), label, dates and state: active, expired or revoked.
Returns: {items: [{key_id, actor, prefix, label, created_at, expires_at, revoked_at, state}]}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.';


--
-- Name: list_applications(text, integer, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.list_applications(status text DEFAULT NULL::text, "limit" integer DEFAULT 50, after text DEFAULT NULL::text, actor text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_role text := lending_private.authorize('read_applications', actor, null);
  -- The cursor is the base64 of the last id of the previous page, in plain digits (lending_private.cursor_text):
  -- anything else names no position, however PostgreSQL would read it as a number ("0x14", "20 ", "+20", "2_0").
  v_after_id text := substring(lending_private.cursor_text(after) from '^[1-9][0-9]{0,18}$');
  v_after bigint := case when v_after_id::numeric <= 9223372036854775807 then v_after_id::bigint end;
  v_ids bigint[];
  v_next text;
begin
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
$_$;


--
-- Name: FUNCTION list_applications(status text, "limit" integer, after text, actor text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.list_applications(status text, "limit" integer, after text, actor text) IS 'Lists applications newest first, one page at a time.

status filters by status; limit is 1-100 (default 50); after is the next_cursor of the previous page. Items carry
the application without its decision history; next_cursor is null on the last page.
Returns: {items: [application], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.';


--
-- Name: revoke_api_key(bigint, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.revoke_api_key(key_id bigint, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_key lending_private.api_key;
begin
  perform lending_private.authorize('manage_keys', actor, request_id);
  update lending_private.api_key as k set revoked_at = coalesce(k.revoked_at, now())
   where k.key_id = revoke_api_key.key_id
  returning * into v_key;
  if not found then
    perform lending_private.fail('not_found', format('API key %s does not exist', key_id),
                                 jsonb_build_object('resource', 'api_key', 'key_id', key_id));
  end if;
  return jsonb_build_object('status', 200, 'body', lending_private.api_key_json(v_key), 'replayed', false);
end;
$$;


--
-- Name: FUNCTION revoke_api_key(key_id bigint, actor text, request_id text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.revoke_api_key(key_id bigint, actor text, request_id text) IS 'Revokes an API key for good.

Revoking a revoked key changes nothing. The HTTP service stops accepting the key as soon as the revocation
commits (it is told on channel lending_keys; at the latest after its cache period).
Returns: {status: 200, body: key (without secret), replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.';


--
-- Name: schema_version(); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.schema_version() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select jsonb_build_object('version', (select max(m.version) from public.schema_migrations as m))
$$;


--
-- Name: FUNCTION schema_version(); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.schema_version() IS 'Tells the latest database migration applied, for readiness checks.

Roles that may not read dbmate''s bookkeeping table can still compare it with the migrations they expect.
Returns: {version}: the version (timestamp prefix) of the newest applied migration.
Errors: none.';


--
-- Name: unwatch_events(integer, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.unwatch_events(listener_pid integer, actor text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('read_events', actor, null);
begin
  delete from lending_private.event_watcher as w where w.listener_pid = unwatch_events.listener_pid;
  return jsonb_build_object('listener_pid', listener_pid, 'watching', false);
end;
$$;


--
-- Name: FUNCTION unwatch_events(listener_pid integer, actor text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.unwatch_events(listener_pid integer, actor text) IS 'Takes back lending.watch_events: changes stop notifying unless another session watches.

Returns: {listener_pid, watching: false}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.';


--
-- Name: update_actor(text, text, boolean, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.update_actor(name text, role text DEFAULT NULL::text, active boolean DEFAULT NULL::boolean, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_actor lending_private.actor;
begin
  perform lending_private.authorize('manage_actors', actor, request_id);
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('role', case when role is not null then lending_private.actor_role_error(role) end)]);
  v_actor := lending_private.find_actor(name);
  if v_actor.role = 'admin' and v_actor.active
     and (coalesce(update_actor.role, 'admin') <> 'admin' or not coalesce(update_actor.active, true)) then
    -- Before the UPDATE locks the row: see lending_private.lock_administration.
    perform lending_private.lock_administration();
  end if;
  -- The actors table's trigger, lending_private.guard_administration(), refuses what would lock administration out.
  update lending_private.actor as a
     set role = coalesce(update_actor.role, a.role), active = coalesce(update_actor.active, a.active)
   where a.actor_id = v_actor.actor_id
  returning * into v_actor;
  return jsonb_build_object('status', 200, 'body', lending_private.actor_json(v_actor), 'replayed', false);
end;
$$;


--
-- Name: FUNCTION update_actor(name text, role text, active boolean, actor text, request_id text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.update_actor(name text, role text, active boolean, actor text, request_id text) IS 'Changes an actor''s role, or deactivates (active false) or reactivates it.

A deactivated actor can do nothing from its next call on, whatever key or login it uses. Administration cannot
lock itself out: only a PostgreSQL superuser may change the built-in operator (operator_protected), no actor takes
itself out of admin (admin_self_demotion), and the last active admin apart from the operator stays one
(last_admin).
Returns: {status: 200, body: actor, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found, operator_protected, admin_self_demotion, last_admin.';


--
-- Name: watch_events(integer, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.watch_events(listener_pid integer, actor text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('read_events', actor, null);
begin
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('listener_pid', case
      when listener_pid is null or not exists (select from pg_catalog.pg_stat_activity as s
                                                where s.pid = watch_events.listener_pid)
        then 'must be the process id (pg_backend_pid()) of a session connected now' end)]);
  lock table lending_private.event_watcher in access exclusive mode;
  -- Registrations of sessions that ended without taking theirs back.
  delete from lending_private.event_watcher as w
   where not exists (select from pg_catalog.pg_stat_activity as s where s.pid = w.listener_pid);
  insert into lending_private.event_watcher (listener_pid) values (listener_pid) on conflict do nothing;
  return jsonb_build_object('listener_pid', listener_pid, 'watching', true);
end;
$$;


--
-- Name: FUNCTION watch_events(listener_pid integer, actor text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.watch_events(listener_pid integer, actor text) IS 'Asks that changes NOTIFY channel lending_events, for a session that LISTENs there and has readers waiting.

Changes notify only while some session watches (NOTIFY serialises commits). Call it from any connection, naming
the listening session''s pg_backend_pid(), before a waiter''s last read of lending.events_after: it returns once
every change that did not notify has committed, so that read sees them, and every later change notifies. Take it
back with lending.unwatch_events when nobody waits any more.
Returns: {listener_pid, watching: true}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.';


--
-- Name: whoami(text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.whoami(actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.identify(actor, request_id);
begin
  return (select lending_private.actor_json(a) - 'db_role'
                 || jsonb_build_object('operations', (select coalesce(jsonb_agg(p.operation order by p.operation), '[]')
                                                        from lending_private.role_operation as p
                                                       where p.role = v_role))
            from lending_private.actor as a where a.name = lending_private.current_actor());
end;
$$;


--
-- Name: FUNCTION whoami(actor text, request_id text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.whoami(actor text, request_id text) IS 'Tells who the caller acts as and what its role may do.

Any active actor may ask. operations lists every operation its role permits.
Returns: {actor_id, name, kind, role, active, version, created_at, updated_at, operations: [...]}.
Errors: validation_failed, unauthenticated, actor_mismatch.';


--
-- Name: withdraw(bigint, text, integer, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.withdraw(application_id bigint, reason text DEFAULT NULL::text, expected_version integer DEFAULT NULL::integer, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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


--
-- Name: FUNCTION withdraw(application_id bigint, reason text, expected_version integer, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.withdraw(application_id bigint, reason text, expected_version integer, actor text, request_id text, idempotency_key text) IS 'Withdraws an application at the applicant''s request.

Only a pending or manual_review application can be withdrawn; reason (optional, at most 2000 characters) is kept
on the application. With expected_version the call fails unless the application is at that version.
Returns: {status: 200, body: application, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found, version_conflict, invalid_transition, idempotency_key_reused.';


--
-- Name: act_as(text, text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.act_as(actor text, request_id text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_request_id text := set_config('lending.request_id', coalesce(request_id, ''), true);
begin
  return set_config('lending.actor', actor, true);
end;
$$;


--
-- Name: FUNCTION act_as(actor text, request_id text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.act_as(actor text, request_id text) IS 'Hands the acting actor and the request id to the audit triggers and events, for this transaction only. Returns the actor, so that callers use it as an expression (an assignment) rather than a PERFORM.';


--
-- Name: acting_actor_name(text, text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.acting_actor_name(actor text, request_id text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_name text;
begin
  if char_length(actor) > 200 or char_length(request_id) > 200 or request_id !~ '^[ -~]*[!-~][ -~]*$' then
    perform lending_private.fail_if_invalid(array[
      lending_private.field_error('actor', lending_private.text_error(actor, 200)),
      lending_private.field_error('request_id', lending_private.text_error(request_id, 200))]);
  end if;
  if pg_has_role(session_user, 'lending_owner', 'MEMBER') then  -- superusers included
    return coalesce(actor, 'operator');
  end if;
  if pg_has_role(session_user, 'lending_gateway', 'MEMBER') then
    if actor is null then
      perform lending_private.fail('unauthenticated', 'The HTTP service must name the acting actor',
                                   jsonb_build_object('db_role', session_user));
    end if;
    return actor;
  end if;
  select a.name into v_name from lending_private.actor as a where a.db_role = session_user;
  if v_name is null then
    perform lending_private.fail(
      'unauthenticated',
      format('PostgreSQL role %s is not mapped to an actor: an admin maps it with '
             '`lendgres actors create --name ... --kind service --role ... --db-role %s`', session_user, session_user),
      jsonb_build_object('db_role', session_user));
  end if;
  if actor is not null and actor <> v_name then
    perform lending_private.fail(
      'actor_mismatch',
      format('PostgreSQL role %s acts as %s and cannot act as %s', session_user, v_name, actor),
      jsonb_build_object('db_role', session_user, 'actor', v_name, 'requested_actor', actor));
  end if;
  return v_name;
end;
$_$;


--
-- Name: FUNCTION acting_actor_name(actor text, request_id text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.acting_actor_name(actor text, request_id text) IS 'Which actor a call acts for: the one the HTTP service or an operator names, else the one the login is mapped to.';


--
-- Name: actor_name_error(text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.actor_name_error(name text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
begin
  return case
    when name is null then 'is required'
    when name !~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$'
      then 'must be 1-100 letters, digits and . _ @ -, starting with a letter or digit'
  end;
end;
$_$;


--
-- Name: FUNCTION actor_name_error(name text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.actor_name_error(name text) IS 'What is wrong with an actor''s name, or null.';


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: actor; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.actor (
    actor_id bigint NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    role text NOT NULL,
    db_role text,
    active boolean DEFAULT true NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT actor_kind_is_known CHECK ((kind = ANY (ARRAY['agent'::text, 'human'::text, 'service'::text]))),
    CONSTRAINT actor_name_is_valid CHECK ((lending_private.actor_name_error(name) IS NULL))
);


--
-- Name: TABLE actor; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.actor IS 'Who acts: an agent, a human or a service, with one role.';


--
-- Name: COLUMN actor.db_role; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.actor.db_role IS 'The PostgreSQL login role a service calls the SQL API as; its calls act as this actor and no other.';


--
-- Name: COLUMN actor.active; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.actor.active IS 'A deactivated actor can do nothing, whatever key or login it uses.';


--
-- Name: actor_json(lending_private.actor); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.actor_json(a lending_private.actor) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return jsonb_build_object(
    'actor_id', a.actor_id, 'name', a.name, 'kind', a.kind, 'role', a.role, 'db_role', a.db_role,
    'active', a.active, 'version', a.version,
    'created_at', lending_private.json_time(a.created_at), 'updated_at', lending_private.json_time(a.updated_at));
end;
$$;


--
-- Name: actor_role_error(text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.actor_role_error(role text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return case
    when role is null then 'is required'
    when not exists (select from lending_private.actor_role as r where r.role = actor_role_error.role)
      then format('must be one of %s', (select string_agg(r.role, ', ' order by r.role)
                                          from lending_private.actor_role as r))
  end;
end;
$$;


--
-- Name: FUNCTION actor_role_error(role text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.actor_role_error(role text) IS 'What is wrong with an actor''s role, or null.';


--
-- Name: api_key; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.api_key (
    key_id bigint NOT NULL,
    actor_id bigint NOT NULL,
    key_hash bytea NOT NULL,
    prefix text NOT NULL,
    label text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    version integer DEFAULT 1 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT api_key_expires_after_creation CHECK ((expires_at > created_at))
);


--
-- Name: TABLE api_key; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.api_key IS 'API keys, stored as sha256 hashes; each belongs to one actor.';


--
-- Name: COLUMN api_key.prefix; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.api_key.prefix IS 'The first characters of the key, to recognise it in lists.';


--
-- Name: api_key_json(lending_private.api_key); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.api_key_json(k lending_private.api_key) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return jsonb_build_object(
    'key_id', k.key_id,
    'actor', (select a.name from lending_private.actor as a where a.actor_id = k.actor_id),
    'prefix', k.prefix, 'label', k.label,
    'created_at', lending_private.json_time(k.created_at),
    'expires_at', lending_private.json_time(k.expires_at),
    'revoked_at', lending_private.json_time(k.revoked_at),
    'state', case when k.revoked_at is not null then 'revoked' when k.expires_at <= now() then 'expired'
                  else 'active' end);
end;
$$;


--
-- Name: application_json(bigint, boolean); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.application_json(application_id bigint, with_decisions boolean DEFAULT true) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return (select jsonb_build_object(
      'application_id', a.application_id,
      'status', a.status,
      'next_statuses', (select coalesce(to_jsonb(array_agg(t.to_status order by t.to_status)), '[]')
                          from lending_private.status_transition as t where t.from_status = a.status),
      'amount', round(a.amount, 2)::text,
      'currency', a.currency,
      'term_months', a.term_months,
      'purpose', a.purpose,
      'external_ref', a.external_ref,
      'withdrawal_reason', a.withdrawal_reason,
      'applicant_id', p.party_id,
      'applicant_name', p.name,
      'applicant', jsonb_build_object('applicant_id', p.party_id, 'name', p.name, 'email', p.email,
                                      'phone', p.phone, 'external_ref', p.external_ref),
      'version', a.version,
      'created_at', lending_private.json_time(a.created_at),
      'updated_at', lending_private.json_time(a.updated_at))
    || case when with_decisions then (
         select jsonb_build_object('decision', h.decisions -> -1, 'decisions', h.decisions)
           from (select coalesce(jsonb_agg(lending_private.decision_json(d) order by d.decision_id), '[]') as decisions
                   from lending_private.decision as d where d.application_id = a.application_id) as h)
       else '{}' end
  from lending_private.application as a
  join lending_private.party as p on p.party_id = a.applicant_id
  where a.application_id = application_json.application_id);
end;
$$;


--
-- Name: FUNCTION application_json(application_id bigint, with_decisions boolean); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.application_json(application_id bigint, with_decisions boolean) IS 'An application with its applicant and, unless with_decisions is false, its latest decision and decision history.';


--
-- Name: audit_digest(text, bigint, text, text, text, jsonb, jsonb, text, text, timestamp with time zone); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.audit_digest(subject text, subject_id bigint, table_name text, row_id text, action text, old_values jsonb, new_values jsonb, actor text, request_id text, recorded_at timestamp with time zone) RETURNS bytea
    LANGUAGE sql STABLE
    BEGIN ATOMIC
 SELECT sha256(convert_to((jsonb_build_object('subject', subject, 'subject_id', subject_id, 'table', table_name, 'row_id', row_id, 'action', action, 'old', old_values, 'new', new_values, 'actor', actor, 'request_id', request_id, 'recorded_at', to_char((recorded_at AT TIME ZONE 'UTC'::text), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'::text)))::text, 'UTF8'::name)) AS sha256;
END;


--
-- Name: FUNCTION audit_digest(subject text, subject_id bigint, table_name text, row_id text, action text, old_values jsonb, new_values jsonb, actor text, request_id text, recorded_at timestamp with time zone); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.audit_digest(subject text, subject_id bigint, table_name text, row_id text, action text, old_values jsonb, new_values jsonb, actor text, request_id text, recorded_at timestamp with time zone) IS 'sha256 of an audit row''s canonical content: what the chain covers, and what survives a redaction.';


--
-- Name: audit_genesis(text, bigint); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.audit_genesis(subject text, subject_id bigint) RETURNS bytea
    LANGUAGE sql STABLE
    BEGIN ATOMIC
 SELECT sha256(convert_to(concat('lendgres audit chain ', subject, ' ', subject_id), 'UTF8'::name)) AS sha256;
END;


--
-- Name: FUNCTION audit_genesis(subject text, subject_id bigint); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.audit_genesis(subject text, subject_id bigint) IS 'What a chain''s first row links to. It names the chain, so that rows moved from another chain do not verify.';


--
-- Name: audit_row_error(text, text, integer, jsonb); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.audit_row_error(subject text, action text, seq integer, old_values jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return case
    -- A new kind of chain (a new subject) is added here.
    when subject not in ('application', 'party', 'actor') then 'subject must be application, party or actor'
    when action not in ('insert', 'update') then 'action must be insert or update'
    when (action = 'update') <> (old_values is not null) then 'old_values are recorded for updates, and only for them'
    when seq < 1 then 'seq must be at least 1'
  end;
end;
$$;


--
-- Name: FUNCTION audit_row_error(subject text, action text, seq integer, old_values jsonb); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.audit_row_error(subject text, action text, seq integer, old_values jsonb) IS 'What is wrong with an audit row''s subject, action, sequence number and old values, or null: the audit log''s CHECK constraint.';


--
-- Name: authorize(text, text, text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.authorize(operation text, actor text, request_id text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    AS $$
declare
  v_name text := lending_private.acting_actor_name(actor, request_id);
  v_role text;
  v_active boolean;
  v_permitted boolean;
begin
  select a.role, a.active, p.operation is not null
    into v_role, v_active, v_permitted
    from lending_private.actor as a
    left join lending_private.role_operation as p on p.role = a.role and p.operation = authorize.operation
   where a.name = v_name;
  if (v_active is not true or not v_permitted) and v_name = 'operator' and lending_private.session_is_superuser() then
    -- The recovery path: a superuser acts as the operator with an admin's rights whatever the actors table says (a
    -- superuser's raw UPDATE could have demoted or deactivated it). Checked only when the table refuses, so it
    -- costs the usual call nothing.
    v_role := 'admin';
    v_active := true;
    v_permitted := exists (select from lending_private.role_operation as p
                            where p.role = 'admin' and p.operation = authorize.operation);
  end if;
  if v_active is not true then
    perform lending_private.fail('unauthenticated', format('Actor %s does not exist or is deactivated', v_name),
                                 jsonb_build_object('actor', v_name));
  end if;
  if not v_permitted then
    perform lending_private.fail(
      'forbidden',
      format('Actor %s (role %s) may not %s', v_name, v_role, operation),
      jsonb_build_object('actor', v_name, 'role', v_role, 'operation', operation,
                         'allowed_roles', (select coalesce(to_jsonb(array_agg(p.role order by p.role)), '[]')
                                             from lending_private.role_operation as p
                                            where p.operation = authorize.operation)));
  end if;
  v_name := lending_private.act_as(v_name, request_id);
  return v_role;
end;
$$;


--
-- Name: FUNCTION authorize(operation text, actor text, request_id text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.authorize(operation text, actor text, request_id text) IS 'identify(), and refuses with forbidden unless the actor''s role may perform the operation. Returns the role.';


--
-- Name: bump_version(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.bump_version() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if new is not distinct from old then
    return new;
  end if;
  new.version := old.version + 1;
  new.created_at := old.created_at;
  new.updated_at := now();
  return new;
end;
$$;


--
-- Name: FUNCTION bump_version(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.bump_version() IS 'Trigger: on a real change, version + 1 and updated_at = now(); created_at never changes.';


--
-- Name: check_currency(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.check_currency() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if not exists (select from lending_private.currency as c where c.code = new.currency) then
    perform lending_private.fail_if_invalid(array[
      lending_private.field_error('currency', lending_private.currency_error(new.currency))]);
  end if;
  return new;
end;
$$;


--
-- Name: FUNCTION check_currency(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.check_currency() IS 'Trigger: the row''s currency must be in lending_private.currency.';


--
-- Name: check_transition(bigint, text, text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.check_transition(application_id bigint, from_status text, to_status text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if not exists (select from lending_private.status_transition as t
                  where t.from_status = check_transition.from_status and t.to_status = check_transition.to_status) then
    perform lending_private.fail(
      'invalid_transition',
      format('Application %s is %s and cannot become %s', application_id, from_status, to_status),
      jsonb_build_object('application_id', application_id, 'current_status', from_status,
                         'requested_status', to_status, 'allowed', lending_private.next_statuses(from_status)));
  end if;
end;
$$;


--
-- Name: FUNCTION check_transition(application_id bigint, from_status text, to_status text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.check_transition(application_id bigint, from_status text, to_status text) IS 'Raises invalid_transition unless status_transition allows from_status -> to_status.';


--
-- Name: currency_error(text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.currency_error(code text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return case
    when code is null then 'is required'
    when not exists (select from lending_private.currency as c where c.code = currency_error.code)
      then 'must be an ISO 4217 currency code in upper case, such as USD or EUR'
  end;
end;
$$;


--
-- Name: FUNCTION currency_error(code text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.currency_error(code text) IS 'What is wrong with a currency code, or null.';


--
-- Name: current_actor(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.current_actor() RETURNS text
    LANGUAGE sql STABLE
    BEGIN ATOMIC
 SELECT COALESCE(NULLIF(current_setting('lending.actor'::text, true), ''::text), ('sql:'::text || (SESSION_USER)::text)) AS "coalesce";
END;


--
-- Name: current_request_id(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.current_request_id() RETURNS text
    LANGUAGE sql STABLE
    BEGIN ATOMIC
 SELECT NULLIF(current_setting('lending.request_id'::text, true), ''::text) AS "nullif";
END;


--
-- Name: cursor_text(text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.cursor_text(cursor text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_bytes bytea;
begin
  if cursor is null or length(cursor) > 100
     or cursor !~ '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$' then
    return null;
  end if;
  v_bytes := decode(cursor, 'base64');
  if encode(v_bytes, 'base64') <> cursor then
    return null;
  end if;
  return encode(v_bytes, 'escape');
end;
$_$;


--
-- Name: FUNCTION cursor_text(cursor text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.cursor_text(cursor text) IS 'What a cursor (the base64 of a position) says, or null when it is not exactly the encoding of one.';


--
-- Name: decision; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.decision (
    decision_id bigint NOT NULL,
    application_id bigint NOT NULL,
    outcome lending_private.decision_outcome NOT NULL,
    reason lending_private.reason NOT NULL,
    reason_codes lending_private.reason_codes DEFAULT '{}'::text[] NOT NULL,
    decided_by text NOT NULL,
    request_id text,
    decided_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE decision; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.decision IS 'Underwriting decisions, append-only; the latest one is the current.';


--
-- Name: COLUMN decision.decided_by; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.decision.decided_by IS 'The actor who decided.';


--
-- Name: decision_json(lending_private.decision); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.decision_json(d lending_private.decision) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return jsonb_build_object(
    'decision_id', d.decision_id,
    'application_id', d.application_id,
    'outcome', d.outcome,
    'approved', case d.outcome when 'approved' then true when 'rejected' then false end,
    'reason', d.reason,
    'reason_codes', to_jsonb(d.reason_codes),
    'decided_by', d.decided_by,
    'request_id', d.request_id,
    'decided_at', lending_private.json_time(d.decided_at));
end;
$$;


--
-- Name: FUNCTION decision_json(d lending_private.decision); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.decision_json(d lending_private.decision) IS 'A decision as the API shows it; `approved` is true, false, or null for manual_review.';


--
-- Name: enforce_status_machine(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.enforce_status_machine() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if tg_op = 'INSERT' then
    if not exists (select from lending_private.application_status as s where s.status = new.status and s.is_initial) then
      perform lending_private.fail(
        'invalid_transition', format('A new application cannot start as %s', new.status),
        jsonb_build_object('requested_status', new.status,
                           'allowed', (select array_agg(s.status) from lending_private.application_status as s
                                        where s.is_initial)));
    end if;
  elsif new.status is distinct from old.status then
    perform lending_private.check_transition(old.application_id, old.status, new.status);
  end if;
  return new;
end;
$$;


--
-- Name: FUNCTION enforce_status_machine(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.enforce_status_machine() IS 'Trigger: new applications start in the initial status; status changes must be listed in status_transition.';


--
-- Name: event_cursor(xid8, bigint); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.event_cursor(transaction_id xid8, event_id bigint) RETURNS text
    LANGUAGE sql IMMUTABLE
    BEGIN ATOMIC
 SELECT encode(((((transaction_id)::text || '-'::text) || (event_id)::text))::bytea, 'base64'::text) AS encode;
END;


--
-- Name: fail(text, text, jsonb); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.fail(code text, message text, details jsonb DEFAULT '{}'::jsonb) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_status smallint;
  v_title text;
begin
  select e.http_status, e.title into v_status, v_title from lending_private.error_code as e where e.code = fail.code;
  if v_status is null then
    raise exception 'lending_private.fail: unknown error code %', code;
  end if;
  raise exception using
    errcode = 'LN' || v_status::text,
    message = message,
    detail = (jsonb_build_object('code', code, 'title', v_title) || coalesce(details, '{}'))::text;
end;
$$;


--
-- Name: FUNCTION fail(code text, message text, details jsonb); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.fail(code text, message text, details jsonb) IS 'Raises the catalogued error `code` with a human message and machine-readable details. Never returns.';


--
-- Name: fail_application_not_found(bigint); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.fail_application_not_found(application_id bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lending_private.fail('not_found', format('Application %s does not exist', application_id),
                              jsonb_build_object('resource', 'application', 'application_id', application_id));
end;
$$;


--
-- Name: fail_if_invalid(jsonb[]); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.fail_if_invalid(field_errors jsonb[]) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_errors jsonb;
begin
  if num_nonnulls(variadic field_errors) = 0 then
    return;  -- the common case, without running a query
  end if;
  select jsonb_agg(e) into v_errors from unnest(field_errors) as e where e is not null;
  if v_errors is not null then
    perform lending_private.fail(
      'validation_failed',
      format('%s invalid: %s', case when jsonb_array_length(v_errors) = 1 then 'one field is' else 'some fields are' end,
             (select string_agg(e ->> 'field' || ' ' || (e ->> 'message'), '; ') from jsonb_array_elements(v_errors) e)),
      jsonb_build_object('errors', v_errors));
  end if;
end;
$$;


--
-- Name: FUNCTION fail_if_invalid(field_errors jsonb[]); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.fail_if_invalid(field_errors jsonb[]) IS 'Raises validation_failed listing every non-null field error, or returns when there is none.';


--
-- Name: field_error(text, text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.field_error(field text, message text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return case when message is not null then jsonb_build_object('field', field, 'message', message) end;
end;
$$;


--
-- Name: find_actor(text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.find_actor(name text) RETURNS lending_private.actor
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_actor lending_private.actor;
begin
  select * into v_actor from lending_private.actor as a where a.name = find_actor.name;
  if not found then
    perform lending_private.fail('not_found', format('Actor %s does not exist', name),
                                 jsonb_build_object('resource', 'actor', 'name', name));
  end if;
  return v_actor;
end;
$$;


--
-- Name: guard_administration(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.guard_administration() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_other_admins bigint;
begin
  if lending_private.session_is_superuser() then
    return new;
  end if;
  if old.name = 'operator'
     and (new.name, new.kind, new.role, new.db_role, new.active)
         is distinct from (old.name, old.kind, old.role, old.db_role, old.active) then
    perform lending_private.fail(
      'operator_protected',
      'The built-in operator actor can be changed only by a PostgreSQL superuser',
      jsonb_build_object('name', old.name));
  end if;
  if not (old.role = 'admin' and old.active) or (new.role = 'admin' and new.active) then
    return new;  -- not leaving admin
  end if;
  if old.name = lending_private.current_actor() then
    perform lending_private.fail(
      'admin_self_demotion',
      format('Actor %s cannot take itself out of admin; another admin must', old.name),
      jsonb_build_object('name', old.name));
  end if;
  perform lending_private.lock_administration();
  select count(*) into v_other_admins
    from (select from lending_private.actor as a
           where a.role = 'admin' and a.active and a.name <> 'operator' and a.actor_id <> old.actor_id
             for update) as other_admins;
  if v_other_admins = 0 then
    perform lending_private.fail(
      'last_admin',
      format('Actor %s is the last active admin; make another actor admin first', old.name),
      jsonb_build_object('name', old.name));
  end if;
  return new;
end;
$$;


--
-- Name: FUNCTION guard_administration(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.guard_administration() IS 'Trigger: refuses, except to a superuser, a change of the operator, an admin leaving admin by its own hand, and the last active admin (apart from the operator) leaving admin.';


--
-- Name: idempotency_claim(text, text, jsonb); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.idempotency_claim(idempotency_key text, operation text, request jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_actor text := lending_private.current_actor();
  v_key_error text;
  v_stored lending_private.idempotency_key;
begin
  if idempotency_key is null then
    return null;
  end if;
  v_key_error := lending_private.text_error(idempotency_key, 255, true);
  if v_key_error is not null then
    perform lending_private.fail_if_invalid(array[lending_private.field_error('idempotency_key', v_key_error)]);
  end if;

  perform pg_advisory_xact_lock(hashtext('lending_private.idempotency_key'), hashtext(v_actor || ' ' || idempotency_key));
  select * into v_stored from lending_private.idempotency_key as k
   where k.actor = v_actor and k.idempotency_key = idempotency_claim.idempotency_key;
  if not found then
    return null;
  end if;
  if v_stored.expires_at <= now() then
    delete from lending_private.idempotency_key as k
     where k.actor = v_actor and k.idempotency_key = idempotency_claim.idempotency_key;
    return null;
  end if;
  if v_stored.operation <> operation or v_stored.request_hash <> lending_private.request_hash(operation, request) then
    perform lending_private.fail(
      'idempotency_key_reused',
      format('Idempotency key %L was already used for a different %s request', idempotency_key, v_stored.operation),
      jsonb_build_object('idempotency_key', idempotency_key, 'operation', v_stored.operation,
                         'first_used_at', lending_private.json_time(v_stored.created_at),
                         'expires_at', lending_private.json_time(v_stored.expires_at)));
  end if;
  return v_stored.response || jsonb_build_object('replayed', true);
end;
$$;


--
-- Name: FUNCTION idempotency_claim(idempotency_key text, operation text, request jsonb); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.idempotency_claim(idempotency_key text, operation text, request jsonb) IS 'Takes the idempotency key''s lock for this actor and returns the stored response of its earlier use, if any.';


--
-- Name: idempotency_complete(text, text, jsonb, jsonb); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.idempotency_complete(idempotency_key text, operation text, request jsonb, response jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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


--
-- Name: FUNCTION idempotency_complete(idempotency_key text, operation text, request jsonb, response jsonb); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.idempotency_complete(idempotency_key text, operation text, request jsonb, response jsonb) IS 'Stores the response of a write under its idempotency key (if any) and returns it, marked as not replayed.';


--
-- Name: identify(text, text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.identify(actor text, request_id text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_name text := lending_private.acting_actor_name(actor, request_id);
  v_role text;
  v_active boolean;
begin
  select a.role, a.active into v_role, v_active from lending_private.actor as a where a.name = v_name;
  if v_active is not true then
    perform lending_private.fail('unauthenticated', format('Actor %s does not exist or is deactivated', v_name),
                                 jsonb_build_object('actor', v_name));
  end if;
  v_name := lending_private.act_as(v_name, request_id);
  return v_role;
end;
$$;


--
-- Name: FUNCTION identify(actor text, request_id text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.identify(actor text, request_id text) IS 'Finds the acting actor and hands it and the request id to the audit triggers. Returns the actor''s role.';


--
-- Name: json_time(timestamp with time zone); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.json_time(at timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE
    BEGIN ATOMIC
 SELECT to_char((at AT TIME ZONE 'UTC'::text), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'::text) AS to_char;
END;


--
-- Name: lock_administration(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.lock_administration() RETURNS void
    LANGUAGE sql
    BEGIN ATOMIC
 SELECT pg_advisory_xact_lock((hashtext('lending_private.actor: administration'::text))::bigint) AS pg_advisory_xact_lock;
END;


--
-- Name: FUNCTION lock_administration(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.lock_administration() IS 'Waits for, and holds until the transaction ends, the lock that changes of admins queue on.';


--
-- Name: application; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.application (
    application_id bigint NOT NULL,
    applicant_id bigint NOT NULL,
    amount lending_private.loan_amount NOT NULL,
    currency text DEFAULT 'USD'::text NOT NULL,
    term_months lending_private.term_months,
    purpose lending_private.loan_purpose,
    external_ref lending_private.external_ref,
    status text DEFAULT 'pending'::text NOT NULL,
    withdrawal_reason lending_private.reason,
    version lending_private.row_version DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE application; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.application IS 'Loan applications. Their status moves only along status_transition.';


--
-- Name: COLUMN application.amount; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.application.amount IS 'Requested principal, exact, in `currency`.';


--
-- Name: COLUMN application.version; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.application.version IS 'Bumped on every change; lending.decide checks it on request.';


--
-- Name: lock_application(bigint, integer); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.lock_application(application_id bigint, expected_version integer) RETURNS lending_private.application
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_application lending_private.application;
begin
  select * into v_application from lending_private.application as a
   where a.application_id = lock_application.application_id
     for update;
  if not found then
    perform lending_private.fail_application_not_found(application_id);
  end if;
  if expected_version is not null and expected_version <> v_application.version then
    perform lending_private.fail(
      'version_conflict',
      format('Application %s is at version %s, not %s', application_id, v_application.version, expected_version),
      jsonb_build_object('application_id', application_id, 'expected_version', expected_version,
                         'current_version', v_application.version, 'current_status', v_application.status));
  end if;
  return v_application;
end;
$$;


--
-- Name: FUNCTION lock_application(application_id bigint, expected_version integer); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.lock_application(application_id bigint, expected_version integer) IS 'Locks an application row for update; raises not_found, or version_conflict when expected_version is stale.';


--
-- Name: next_statuses(text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.next_statuses(status text) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return (select coalesce(array_agg(t.to_status order by t.to_status), '{}')
    from lending_private.status_transition as t
   where t.from_status = next_statuses.status);
end;
$$;


--
-- Name: FUNCTION next_statuses(status text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.next_statuses(status text) IS 'The statuses an application in `status` may move to.';


--
-- Name: notify_key_change(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.notify_key_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform pg_notify('lending_keys', encode(new.key_hash, 'hex'));
  return null;
end;
$$;


--
-- Name: FUNCTION notify_key_change(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.notify_key_change() IS 'Trigger: tells the HTTP workers (channel lending_keys) to forget a key whose revocation or expiry changed.';


--
-- Name: record_application_event(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.record_application_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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


--
-- Name: FUNCTION record_application_event(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.record_application_event() IS 'Trigger: appends application.filed, application.decided, application.withdrawn or application.updated.';


--
-- Name: record_audit(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.record_audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
declare
  v_subject text := tg_argv[0];
  v_new jsonb := to_jsonb(new);
  v_subject_id bigint := (v_new ->> tg_argv[1])::bigint;
  v_row_id text := v_new ->> tg_argv[2];
  v_old jsonb;
  v_old_changed jsonb;
  v_new_changed jsonb;
  v_actor text := lending_private.current_actor();
  v_request_id text := lending_private.current_request_id();
  v_recorded_at timestamptz := now();
  v_digest bytea;
  v_seq integer;
  v_hash bytea;
begin
  if tg_op = 'UPDATE' then
    v_old := to_jsonb(old);
  end if;
  for i in 3 .. tg_nargs - 1 loop
    v_new := jsonb_set(v_new, array[tg_argv[i]],
                       coalesce(to_jsonb(round((v_new ->> tg_argv[i])::numeric, 2)::text), 'null'));
    if tg_op = 'UPDATE' then
      v_old := jsonb_set(v_old, array[tg_argv[i]],
                         coalesce(to_jsonb(round((v_old ->> tg_argv[i])::numeric, 2)::text), 'null'));
    end if;
  end loop;
  v_new_changed := v_new;
  if tg_op = 'UPDATE' then
    select jsonb_object_agg(n.key, v_old -> n.key), jsonb_object_agg(n.key, n.value)
      into v_old_changed, v_new_changed
      from jsonb_each(v_new) as n
     where n.value is distinct from v_old -> n.key;
    if v_new_changed is null then
      return null;  -- nothing changed, nothing to record
    end if;
  end if;
  v_digest := lending_private.audit_digest(v_subject, v_subject_id, tg_table_name, v_row_id, lower(tg_op),
                                           v_old_changed, v_new_changed, v_actor, v_request_id, v_recorded_at);

  if tg_op = 'INSERT' and tg_argv[1] = tg_argv[2] then
    -- The insert of the subject itself starts its chain. No other transaction can see the subject yet, so there
    -- is nothing to wait for.
    v_seq := 1;
    v_hash := sha256(lending_private.audit_genesis(v_subject, v_subject_id) || v_digest);
    insert into lending_private.audit_chain_head (subject, subject_id, last_seq, last_hash)
    values (v_subject, v_subject_id, v_seq, v_hash);
  else
    -- Lock the chain's head and move it on by one row, in one statement: concurrent writers of one subject queue
    -- here, writers of different subjects never meet.
    update lending_private.audit_chain_head as h
       set last_seq = h.last_seq + 1, last_hash = sha256(h.last_hash || v_digest)
     where h.subject = v_subject and h.subject_id = v_subject_id
    returning h.last_seq, h.last_hash into v_seq, v_hash;
    if v_seq is null then
      raise exception 'audit chain % % has no head', v_subject, v_subject_id;
    end if;
  end if;

  insert into lending_private.audit_log (subject, subject_id, seq, table_name, row_id, action, old_values, new_values,
                                         actor, request_id, recorded_at, content_digest, row_hash)
  values (v_subject, v_subject_id, v_seq, tg_table_name, v_row_id, lower(tg_op), v_old_changed, v_new_changed,
          v_actor, v_request_id, v_recorded_at, v_digest, v_hash);
  return null;
end;
$$;


--
-- Name: FUNCTION record_audit(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.record_audit() IS 'Trigger: appends the inserted or updated row to its subject''s audit chain, locking the chain head. Arguments: subject, subject id column, row id column, then any money columns (recorded as decimal strings).';


--
-- Name: refuse_change(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lending_private.fail(
    'append_only',
    format('%s on %s is not allowed: its rows are append-only', lower(tg_op), tg_table_name),
    jsonb_build_object('table', tg_table_name, 'operation', lower(tg_op)));
  return null;
end;
$$;


--
-- Name: FUNCTION refuse_change(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.refuse_change() IS 'Trigger: raises append_only for any update, delete or truncate it is attached to.';


--
-- Name: request_hash(text, jsonb); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.request_hash(operation text, request jsonb) RETURNS bytea
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return sha256(convert_to(jsonb_build_object('operation', operation, 'request', request)::text, 'UTF8'));
end;
$$;


--
-- Name: FUNCTION request_hash(operation text, request jsonb); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.request_hash(operation text, request jsonb) IS 'What identifies a request under an idempotency key.';


--
-- Name: session_is_superuser(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.session_is_superuser() RETURNS boolean
    LANGUAGE sql STABLE
    BEGIN ATOMIC
 SELECT COALESCE(( SELECT r.rolsuper
            FROM pg_roles r
           WHERE (r.rolname = SESSION_USER)), false) AS "coalesce";
END;


--
-- Name: FUNCTION session_is_superuser(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.session_is_superuser() IS 'Whether the session logged in as a PostgreSQL superuser: the one who may always recover administration.';


--
-- Name: verify_audit_chain(text, bigint); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.verify_audit_chain(subject text, subject_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  r lending_private.audit_log;
  v_expected_seq integer := 1;
  v_prev bytea := lending_private.audit_genesis(subject, subject_id);
  v_head lending_private.audit_chain_head;
  v_problem text;
begin
  for r in
    select * from lending_private.audit_log as a
     where a.subject = verify_audit_chain.subject and a.subject_id = verify_audit_chain.subject_id
     order by a.seq
  loop
    v_problem := case
      when r.seq <> v_expected_seq then format('row %s is missing', v_expected_seq)
      when r.redacted_at is null
       and lending_private.audit_digest(r.subject, r.subject_id, r.table_name, r.row_id, r.action,
                                        r.old_values, r.new_values, r.actor, r.request_id, r.recorded_at)
           <> r.content_digest
        then 'the row''s content does not match its digest'
      when sha256(v_prev || r.content_digest) <> r.row_hash then 'the row does not link to the row before it'
    end;
    if v_problem is not null then
      return jsonb_build_object('verified', false, 'rows_checked', v_expected_seq - 1,
                                'broken_at_seq', v_expected_seq, 'problem', v_problem);
    end if;
    v_prev := r.row_hash;
    v_expected_seq := v_expected_seq + 1;
  end loop;

  select * into v_head from lending_private.audit_chain_head as h
   where h.subject = verify_audit_chain.subject and h.subject_id = verify_audit_chain.subject_id;
  if v_head.last_seq is distinct from v_expected_seq - 1 or v_head.last_hash is distinct from v_prev then
    return jsonb_build_object('verified', false, 'rows_checked', v_expected_seq - 1,
                              'broken_at_seq', v_expected_seq, 'problem', 'the chain ends before its head');
  end if;
  return jsonb_build_object('verified', true, 'rows_checked', v_expected_seq - 1,
                            'broken_at_seq', null, 'problem', null);
end;
$$;


--
-- Name: FUNCTION verify_audit_chain(subject text, subject_id bigint); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.verify_audit_chain(subject text, subject_id bigint) IS 'Recomputes one audit chain; returns {verified, rows_checked, broken_at_seq, problem}.';


--
-- Name: actor_actor_id_seq; Type: SEQUENCE; Schema: lending_private; Owner: -
--

ALTER TABLE lending_private.actor ALTER COLUMN actor_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME lending_private.actor_actor_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: actor_role; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.actor_role (
    role text NOT NULL,
    description text NOT NULL,
    CONSTRAINT actor_role_is_snake_case CHECK ((role ~ '^[a-z][a-z_]*$'::text))
);


--
-- Name: TABLE actor_role; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.actor_role IS 'The roles an actor can hold.';


--
-- Name: api_key_key_id_seq; Type: SEQUENCE; Schema: lending_private; Owner: -
--

ALTER TABLE lending_private.api_key ALTER COLUMN key_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME lending_private.api_key_key_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: application_application_id_seq; Type: SEQUENCE; Schema: lending_private; Owner: -
--

ALTER TABLE lending_private.application ALTER COLUMN application_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME lending_private.application_application_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: application_status; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.application_status (
    status text NOT NULL,
    is_initial boolean DEFAULT false NOT NULL,
    description text NOT NULL,
    CONSTRAINT application_status_is_snake_case CHECK ((status ~ '^[a-z][a-z_]*$'::text))
);


--
-- Name: TABLE application_status; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.application_status IS 'Statuses an application can be in; exactly one is initial.';


--
-- Name: audit_chain_head; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.audit_chain_head (
    subject text NOT NULL,
    subject_id bigint NOT NULL,
    last_seq integer NOT NULL,
    last_hash bytea NOT NULL
);


--
-- Name: TABLE audit_chain_head; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.audit_chain_head IS 'Last position and hash of each audit chain.';


--
-- Name: audit_log; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.audit_log (
    subject text NOT NULL,
    subject_id bigint NOT NULL,
    seq integer NOT NULL,
    table_name text NOT NULL,
    row_id text NOT NULL,
    action text NOT NULL,
    old_values jsonb,
    new_values jsonb NOT NULL,
    actor text NOT NULL,
    request_id text,
    recorded_at timestamp with time zone NOT NULL,
    content_digest bytea NOT NULL,
    row_hash bytea NOT NULL,
    redacted_at timestamp with time zone,
    CONSTRAINT audit_log_row_is_well_formed CHECK ((lending_private.audit_row_error(subject, action, seq, old_values) IS NULL))
);


--
-- Name: TABLE audit_log; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.audit_log IS 'Append-only audit trail, one hash chain per (subject, subject_id). Written only by lending_private.record_audit().';


--
-- Name: COLUMN audit_log.subject; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.audit_log.subject IS 'Which kind of chain the row belongs to: application, party or actor.';


--
-- Name: COLUMN audit_log.subject_id; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.audit_log.subject_id IS 'The application_id, party_id or actor_id that owns the chain.';


--
-- Name: COLUMN audit_log.seq; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.audit_log.seq IS 'Position in the chain, from 1, without gaps.';


--
-- Name: COLUMN audit_log.row_id; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.audit_log.row_id IS 'Primary key of the changed row, as text.';


--
-- Name: COLUMN audit_log.old_values; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.audit_log.old_values IS 'For updates, the changed fields before the change.';


--
-- Name: COLUMN audit_log.new_values; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.audit_log.new_values IS 'For inserts the whole row; for updates the changed fields after.';


--
-- Name: COLUMN audit_log.actor; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.audit_log.actor IS 'Who made the change: the actor the call named, else sql:<session user>.';


--
-- Name: COLUMN audit_log.request_id; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.audit_log.request_id IS 'The request id the call carried (X-Request-Id over HTTP).';


--
-- Name: COLUMN audit_log.content_digest; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.audit_log.content_digest IS 'lending_private.audit_digest() of this row''s content.';


--
-- Name: COLUMN audit_log.row_hash; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.audit_log.row_hash IS 'sha256(row_hash of the previous row, or the chain''s genesis hash for seq 1 || content_digest).';


--
-- Name: COLUMN audit_log.redacted_at; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.audit_log.redacted_at IS 'When personal data in old_values/new_values was redacted; the row then keeps its digest, not its content.';


--
-- Name: currency; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.currency (
    code text NOT NULL,
    minor_units smallint NOT NULL,
    CONSTRAINT currency_code_is_iso_4217 CHECK ((code ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT currency_minor_units_are_known CHECK (((minor_units >= 0) AND (minor_units <= 4)))
);


--
-- Name: TABLE currency; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.currency IS 'ISO 4217 currency codes we accept, with their minor units.';


--
-- Name: decision_decision_id_seq; Type: SEQUENCE; Schema: lending_private; Owner: -
--

ALTER TABLE lending_private.decision ALTER COLUMN decision_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME lending_private.decision_decision_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: error_code; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.error_code (
    code text NOT NULL,
    http_status smallint NOT NULL,
    title text NOT NULL,
    description text NOT NULL,
    CONSTRAINT error_code_is_snake_case CHECK ((code ~ '^[a-z][a-z0-9_]*$'::text)),
    CONSTRAINT error_code_status_is_client_error CHECK (((http_status >= 400) AND (http_status <= 499)))
);


--
-- Name: TABLE error_code; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.error_code IS 'The catalogue of machine error codes; db/README.md documents the same list and a test keeps them equal.';


--
-- Name: event; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.event (
    transaction_id xid8 DEFAULT pg_current_xact_id() NOT NULL,
    event_id bigint NOT NULL,
    application_id bigint NOT NULL,
    event_type lending_private.event_type NOT NULL,
    payload jsonb NOT NULL,
    actor text NOT NULL,
    request_id text,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE event; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.event IS 'Append-only feed of state changes, in commit order by (transaction_id, event_id). Written by triggers.';


--
-- Name: COLUMN event.transaction_id; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.event.transaction_id IS 'The writing transaction; orders the feed.';


--
-- Name: COLUMN event.event_id; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.event.event_id IS 'Orders the events of one transaction.';


--
-- Name: event_event_id_seq; Type: SEQUENCE; Schema: lending_private; Owner: -
--

ALTER TABLE lending_private.event ALTER COLUMN event_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME lending_private.event_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: event_family; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.event_family (
    family text NOT NULL,
    read_operation text NOT NULL
);


--
-- Name: TABLE event_family; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.event_family IS 'Event type families (application, ...) and the read operation a role needs to see their events.';


--
-- Name: event_watcher; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.event_watcher (
    listener_pid integer NOT NULL,
    watching_since timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE event_watcher; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.event_watcher IS 'Sessions that LISTEN on lending_events and have readers waiting: changes NOTIFY only while a row exists.';


--
-- Name: idempotency_key; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.idempotency_key (
    actor text NOT NULL,
    idempotency_key lending_private.idempotency_key_value NOT NULL,
    operation text NOT NULL,
    request_hash bytea NOT NULL,
    response jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone DEFAULT (now() + '24:00:00'::interval) NOT NULL
);


--
-- Name: TABLE idempotency_key; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.idempotency_key IS 'Used idempotency keys with the response of the write they guard. Expired keys are removed by later writes.';


--
-- Name: COLUMN idempotency_key.operation; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.idempotency_key.operation IS 'The lending function the key was used with.';


--
-- Name: COLUMN idempotency_key.request_hash; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.idempotency_key.request_hash IS 'sha256 of the call''s arguments.';


--
-- Name: COLUMN idempotency_key.response; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.idempotency_key.response IS 'The envelope {status, body} the write returned.';


--
-- Name: operation; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.operation (
    operation text NOT NULL,
    description text NOT NULL,
    CONSTRAINT operation_is_snake_case CHECK ((operation ~ '^[a-z][a-z_]*$'::text))
);


--
-- Name: TABLE operation; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.operation IS 'The operations that permissions name; each public function checks one.';


--
-- Name: party; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.party (
    party_id bigint NOT NULL,
    name lending_private.party_name NOT NULL,
    email lending_private.email_address,
    phone lending_private.phone_number,
    external_ref lending_private.external_ref,
    version lending_private.row_version DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE party; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.party IS 'Applicants and borrowers: one row per party, however many applications.';


--
-- Name: COLUMN party.external_ref; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.party.external_ref IS 'The party''s id in the caller''s own systems; unique.';


--
-- Name: COLUMN party.version; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.party.version IS 'Bumped on every change, for optimistic concurrency.';


--
-- Name: party_party_id_seq; Type: SEQUENCE; Schema: lending_private; Owner: -
--

ALTER TABLE lending_private.party ALTER COLUMN party_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME lending_private.party_party_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: role_operation; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.role_operation (
    role text NOT NULL,
    operation text NOT NULL
);


--
-- Name: TABLE role_operation; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.role_operation IS 'The permission matrix: a role may perform the operations listed for it.';


--
-- Name: status_transition; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.status_transition (
    from_status text NOT NULL,
    to_status text NOT NULL,
    CONSTRAINT status_transition_changes_status CHECK ((from_status <> to_status))
);


--
-- Name: TABLE status_transition; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.status_transition IS 'The allowed status changes of an application. The database refuses any other, whoever writes.';


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version character varying NOT NULL
);


--
-- Name: actor actor_db_role_key; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.actor
    ADD CONSTRAINT actor_db_role_key UNIQUE (db_role);


--
-- Name: actor actor_name_key; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.actor
    ADD CONSTRAINT actor_name_key UNIQUE (name);


--
-- Name: actor actor_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.actor
    ADD CONSTRAINT actor_pkey PRIMARY KEY (actor_id);


--
-- Name: actor_role actor_role_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.actor_role
    ADD CONSTRAINT actor_role_pkey PRIMARY KEY (role);


--
-- Name: api_key api_key_key_hash_key; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.api_key
    ADD CONSTRAINT api_key_key_hash_key UNIQUE (key_hash);


--
-- Name: api_key api_key_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.api_key
    ADD CONSTRAINT api_key_pkey PRIMARY KEY (key_id);


--
-- Name: application application_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.application
    ADD CONSTRAINT application_pkey PRIMARY KEY (application_id);


--
-- Name: application_status application_status_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.application_status
    ADD CONSTRAINT application_status_pkey PRIMARY KEY (status);


--
-- Name: audit_chain_head audit_chain_head_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.audit_chain_head
    ADD CONSTRAINT audit_chain_head_pkey PRIMARY KEY (subject, subject_id);


--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (subject, subject_id, seq);


--
-- Name: currency currency_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.currency
    ADD CONSTRAINT currency_pkey PRIMARY KEY (code);


--
-- Name: decision decision_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.decision
    ADD CONSTRAINT decision_pkey PRIMARY KEY (decision_id);


--
-- Name: error_code error_code_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.error_code
    ADD CONSTRAINT error_code_pkey PRIMARY KEY (code);


--
-- Name: event_family event_family_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.event_family
    ADD CONSTRAINT event_family_pkey PRIMARY KEY (family);


--
-- Name: event event_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.event
    ADD CONSTRAINT event_pkey PRIMARY KEY (transaction_id, event_id);


--
-- Name: event_watcher event_watcher_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.event_watcher
    ADD CONSTRAINT event_watcher_pkey PRIMARY KEY (listener_pid);


--
-- Name: idempotency_key idempotency_key_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.idempotency_key
    ADD CONSTRAINT idempotency_key_pkey PRIMARY KEY (actor, idempotency_key);


--
-- Name: operation operation_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.operation
    ADD CONSTRAINT operation_pkey PRIMARY KEY (operation);


--
-- Name: party party_external_ref_is_unique; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.party
    ADD CONSTRAINT party_external_ref_is_unique UNIQUE (external_ref);


--
-- Name: party party_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.party
    ADD CONSTRAINT party_pkey PRIMARY KEY (party_id);


--
-- Name: role_operation role_operation_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.role_operation
    ADD CONSTRAINT role_operation_pkey PRIMARY KEY (role, operation);


--
-- Name: status_transition status_transition_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.status_transition
    ADD CONSTRAINT status_transition_pkey PRIMARY KEY (from_status, to_status);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: api_key_actor; Type: INDEX; Schema: lending_private; Owner: -
--

CREATE INDEX api_key_actor ON lending_private.api_key USING btree (actor_id);


--
-- Name: application_applicant; Type: INDEX; Schema: lending_private; Owner: -
--

CREATE INDEX application_applicant ON lending_private.application USING btree (applicant_id);


--
-- Name: application_status_newest_first; Type: INDEX; Schema: lending_private; Owner: -
--

CREATE INDEX application_status_newest_first ON lending_private.application USING btree (status, application_id DESC);


--
-- Name: application_status_one_initial; Type: INDEX; Schema: lending_private; Owner: -
--

CREATE UNIQUE INDEX application_status_one_initial ON lending_private.application_status USING btree (is_initial) WHERE is_initial;


--
-- Name: decision_application; Type: INDEX; Schema: lending_private; Owner: -
--

CREATE INDEX decision_application ON lending_private.decision USING btree (application_id, decision_id);


--
-- Name: event_application; Type: INDEX; Schema: lending_private; Owner: -
--

CREATE INDEX event_application ON lending_private.event USING btree (application_id, transaction_id, event_id);


--
-- Name: event_of_type; Type: INDEX; Schema: lending_private; Owner: -
--

CREATE INDEX event_of_type ON lending_private.event USING btree (event_type, transaction_id, event_id);


--
-- Name: idempotency_key_expiry; Type: INDEX; Schema: lending_private; Owner: -
--

CREATE INDEX idempotency_key_expiry ON lending_private.idempotency_key USING btree (expires_at);


--
-- Name: audit_log _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.audit_log FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: decision _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.decision FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: event _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.event FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: actor _100_refuse_delete; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_delete BEFORE DELETE ON lending_private.actor FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: api_key _100_refuse_delete; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_delete BEFORE DELETE ON lending_private.api_key FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: application _100_refuse_delete; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_delete BEFORE DELETE ON lending_private.application FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: party _100_refuse_delete; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_delete BEFORE DELETE ON lending_private.party FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: actor _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.actor FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: api_key _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.api_key FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: application _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.application FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: audit_log _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.audit_log FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: decision _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.decision FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: event _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.event FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: party _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.party FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: application _140_check_currency; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _140_check_currency BEFORE INSERT OR UPDATE OF currency ON lending_private.application FOR EACH ROW EXECUTE FUNCTION lending_private.check_currency();


--
-- Name: application _150_enforce_status_machine; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _150_enforce_status_machine BEFORE INSERT OR UPDATE OF status ON lending_private.application FOR EACH ROW EXECUTE FUNCTION lending_private.enforce_status_machine();


--
-- Name: actor _150_guard_administration; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _150_guard_administration BEFORE UPDATE ON lending_private.actor FOR EACH ROW EXECUTE FUNCTION lending_private.guard_administration();


--
-- Name: actor _200_bump_version; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _200_bump_version BEFORE UPDATE ON lending_private.actor FOR EACH ROW EXECUTE FUNCTION lending_private.bump_version();


--
-- Name: api_key _200_bump_version; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _200_bump_version BEFORE UPDATE ON lending_private.api_key FOR EACH ROW EXECUTE FUNCTION lending_private.bump_version();


--
-- Name: application _200_bump_version; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _200_bump_version BEFORE UPDATE ON lending_private.application FOR EACH ROW EXECUTE FUNCTION lending_private.bump_version();


--
-- Name: party _200_bump_version; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _200_bump_version BEFORE UPDATE ON lending_private.party FOR EACH ROW EXECUTE FUNCTION lending_private.bump_version();


--
-- Name: application _800_event; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _800_event AFTER INSERT OR UPDATE ON lending_private.application FOR EACH ROW EXECUTE FUNCTION lending_private.record_application_event();


--
-- Name: api_key _800_notify; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _800_notify AFTER UPDATE OF revoked_at, expires_at ON lending_private.api_key FOR EACH ROW WHEN (((old.revoked_at IS DISTINCT FROM new.revoked_at) OR (old.expires_at IS DISTINCT FROM new.expires_at))) EXECUTE FUNCTION lending_private.notify_key_change();


--
-- Name: actor _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT OR UPDATE ON lending_private.actor FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('actor', 'actor_id', 'actor_id');


--
-- Name: api_key _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT OR UPDATE ON lending_private.api_key FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('actor', 'actor_id', 'key_id');


--
-- Name: application _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT OR UPDATE ON lending_private.application FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('application', 'application_id', 'application_id', 'amount');


--
-- Name: decision _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT ON lending_private.decision FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('application', 'application_id', 'decision_id');


--
-- Name: party _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT OR UPDATE ON lending_private.party FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('party', 'party_id', 'party_id');


--
-- Name: actor actor_role_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.actor
    ADD CONSTRAINT actor_role_fkey FOREIGN KEY (role) REFERENCES lending_private.actor_role(role);


--
-- Name: api_key api_key_actor_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.api_key
    ADD CONSTRAINT api_key_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES lending_private.actor(actor_id);


--
-- Name: application application_applicant_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.application
    ADD CONSTRAINT application_applicant_id_fkey FOREIGN KEY (applicant_id) REFERENCES lending_private.party(party_id);


--
-- Name: decision decision_application_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.decision
    ADD CONSTRAINT decision_application_id_fkey FOREIGN KEY (application_id) REFERENCES lending_private.application(application_id);


--
-- Name: event_family event_family_read_operation_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.event_family
    ADD CONSTRAINT event_family_read_operation_fkey FOREIGN KEY (read_operation) REFERENCES lending_private.operation(operation);


--
-- Name: role_operation role_operation_operation_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.role_operation
    ADD CONSTRAINT role_operation_operation_fkey FOREIGN KEY (operation) REFERENCES lending_private.operation(operation);


--
-- Name: role_operation role_operation_role_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.role_operation
    ADD CONSTRAINT role_operation_role_fkey FOREIGN KEY (role) REFERENCES lending_private.actor_role(role);


--
-- Name: status_transition status_transition_from_status_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.status_transition
    ADD CONSTRAINT status_transition_from_status_fkey FOREIGN KEY (from_status) REFERENCES lending_private.application_status(status);


--
-- Name: status_transition status_transition_to_status_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.status_transition
    ADD CONSTRAINT status_transition_to_status_fkey FOREIGN KEY (to_status) REFERENCES lending_private.application_status(status);


--
-- PostgreSQL database dump complete
--

\unrestrict dbmate


--
-- Dbmate schema migrations
--

INSERT INTO public.schema_migrations (version) VALUES
    ('20261125160000'),
    ('20261125160100'),
    ('20261125160200'),
    ('20261125160300'),
    ('20261125160400'),
    ('20261125160500'),
    ('20261125160600'),
    ('20261125160700'),
    ('20261125180000'),
    ('20261125180100'),
    ('20261125180200'),
    ('20261125230000'),
    ('20261126020000'),
    ('20261126031500'),
    ('20261126034500'),
    ('20261126041000'),
    ('20261126060000'),
    ('20261126070000'),
    ('20261203161237'),
    ('20261203161549'),
    ('20261203161950'),
    ('20261203162855'),
    ('20261203163521'),
    ('20261203164634'),
    ('20261203173020');
