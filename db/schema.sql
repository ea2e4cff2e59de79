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
-- Name: accept_offer(bigint, integer, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.accept_offer(application_id bigint, expected_version integer DEFAULT NULL::integer, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('accept_offer', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'expected_version', expected_version);
  v_replay jsonb;
  v_application lending_private.application;
  v_offer lending_private.offer;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'accept_offer', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  v_application := lending_private.lock_application(application_id, expected_version);
  perform lending_private.check_transition(application_id, v_application.status, 'offer_accepted');
  select * into v_offer from lending_private.offer as o
   where o.application_id = accept_offer.application_id order by o.offer_id desc limit 1;
  if v_offer.offer_id is null then
    perform lending_private.fail_offer_not_found(application_id);
  end if;

  if v_offer.expires_at <= now() then
    insert into lending_private.offer_response (offer_id, application_id, response, recorded_by, request_id)
    values (v_offer.offer_id, application_id, 'expired', lending_private.current_actor(),
            lending_private.current_request_id());
    update lending_private.application as a set status = 'offer_expired'
     where a.application_id = accept_offer.application_id;
    return lending_private.idempotency_complete(idempotency_key, 'accept_offer', v_request, jsonb_build_object(
      'status', 409,
      'problem', jsonb_build_object(
        'code', 'offer_expired',
        'title', (select e.title from lending_private.error_code as e where e.code = 'offer_expired'),
        'detail', format('The offer on application %s expired at %s; the application is now offer_expired',
                         application_id, lending_private.json_time(v_offer.expires_at)),
        'application_id', application_id, 'offer_id', v_offer.offer_id,
        'expires_at', lending_private.json_time(v_offer.expires_at), 'current_status', 'offer_expired')));
  end if;

  insert into lending_private.offer_response (offer_id, application_id, response, recorded_by, request_id)
  values (v_offer.offer_id, application_id, 'accepted', lending_private.current_actor(),
          lending_private.current_request_id());
  update lending_private.application as a set status = 'offer_accepted'
   where a.application_id = accept_offer.application_id;
  return lending_private.idempotency_complete(idempotency_key, 'accept_offer', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;


--
-- Name: FUNCTION accept_offer(application_id bigint, expected_version integer, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.accept_offer(application_id bigint, expected_version integer, actor text, request_id text, idempotency_key text) IS 'Accepts, on the borrower''s behalf, the offer of an approved application (-> offer_accepted).

The offer''s terms are the ones fixed at approval. After the offer''s expires_at the acceptance is refused and the
application moves to offer_expired, for good: the envelope then has status 409 and a `problem` (code
offer_expired) instead of a body. With expected_version the call fails unless the application is at that version.
Returns: {status: 200, body: application, replayed}, or {status: 409, problem, replayed} when the offer expired.
Errors: validation_failed, not_found, version_conflict, invalid_transition, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.';


--
-- Name: adverse_action_notice(bigint, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.adverse_action_notice(application_id bigint, actor text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('read_applications', actor, null);
  v_application lending_private.application;
  v_decision lending_private.decision;
  v_assessment lending_private.assessment;
begin
  select * into v_application from lending_private.application as a
   where a.application_id = adverse_action_notice.application_id;
  if not found then
    perform lending_private.fail_application_not_found(application_id);
  end if;
  v_decision := lending_private.rejection_of(v_application);
  select * into v_assessment from lending_private.assessment as s where s.assessment_id = v_decision.assessment_id;

  return jsonb_build_object(
    'application_id', application_id,
    'decision_id', v_decision.decision_id,
    'applicant_name', (select p.name from lending_private.party as p where p.party_id = v_application.applicant_id),
    'action', 'Your application for credit was denied.',
    'amount', round(v_application.amount, 2)::text,
    'currency', v_application.currency,
    'action_date', to_char(v_decision.decided_at at time zone 'UTC', 'YYYY-MM-DD'),
    'principal_reasons', lending_private.decision_json(v_decision) -> 'reasons',
    'credit_score', case when v_assessment.facts ->> 'credit_score' is not null then jsonb_build_object(
      'score', (v_assessment.facts ->> 'credit_score')::integer, 'range', '300-850',
      'source', v_assessment.facts ->> 'credit_score_source', 'date', v_assessment.facts ->> 'credit_score_date') end,
    'statement', 'The federal Equal Credit Opportunity Act prohibits creditors from discriminating against credit '
                 'applicants on the basis of race, color, religion, national origin, sex, marital status, age '
                 '(provided the applicant has the capacity to enter into a binding contract); because all or part '
                 'of the applicant''s income derives from any public assistance program; or because the applicant '
                 'has in good faith exercised any right under the Consumer Credit Protection Act.',
    'deliveries', (select coalesce(jsonb_agg(jsonb_build_object(
                                     'delivery_id', n.delivery_id, 'channel', n.channel, 'recorded_by', n.recorded_by,
                                     'sent_at', lending_private.json_time(n.sent_at)) order by n.delivery_id), '[]')
                     from lending_private.notice_delivery as n
                    where n.application_id = adverse_action_notice.application_id
                      and n.decision_id = v_decision.decision_id));
end;
$$;


--
-- Name: FUNCTION adverse_action_notice(application_id bigint, actor text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.adverse_action_notice(application_id bigint, actor text) IS 'The adverse action notice of a rejected application: the action, its date and the principal reasons in words.

principal_reasons are the rejection''s reason codes with the words of each, most important first (other shows
the decision''s reason). credit_score is disclosed (score, range, source, date) when the assessment the decision
relied on used one. deliveries lists each time the notice was recorded as sent (record_notice_sent).
Returns: notice.
Errors: validation_failed, not_found, no_adverse_action, unauthenticated, forbidden, actor_mismatch.';


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
-- Name: apply(numeric, text, bigint, text, text, text, text, integer, text, text, text, numeric, numeric, text, integer, text, integer, text, date, date, boolean, boolean, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.apply(amount numeric, applicant_name text DEFAULT NULL::text, applicant_id bigint DEFAULT NULL::bigint, applicant_email text DEFAULT NULL::text, applicant_phone text DEFAULT NULL::text, applicant_external_ref text DEFAULT NULL::text, currency text DEFAULT 'USD'::text, term_months integer DEFAULT NULL::integer, purpose text DEFAULT NULL::text, external_ref text DEFAULT NULL::text, product_code text DEFAULT NULL::text, annual_income numeric DEFAULT NULL::numeric, monthly_debt_payments numeric DEFAULT NULL::numeric, employment_status text DEFAULT NULL::text, months_employed integer DEFAULT NULL::integer, housing_status text DEFAULT NULL::text, credit_score integer DEFAULT NULL::integer, credit_score_source text DEFAULT NULL::text, credit_score_date date DEFAULT NULL::date, date_of_birth date DEFAULT NULL::date, income_verified boolean DEFAULT NULL::boolean, identity_verified boolean DEFAULT NULL::boolean, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
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
  v_facts lending_private.application;
  v_has_facts boolean := num_nonnulls(product_code, annual_income, monthly_debt_payments, employment_status,
                                      months_employed, housing_status, credit_score, credit_score_source,
                                      credit_score_date, date_of_birth, income_verified, identity_verified) > 0;
begin
  v_request := jsonb_build_object(
    'amount', amount, 'applicant_name', applicant_name, 'applicant_id', applicant_id,
    'applicant_email', applicant_email, 'applicant_phone', applicant_phone,
    'applicant_external_ref', applicant_external_ref, 'currency', currency, 'term_months', term_months,
    'purpose', purpose, 'external_ref', external_ref)
    || case when v_has_facts then jsonb_build_object(
         'product_code', product_code, 'annual_income', annual_income,
         'monthly_debt_payments', monthly_debt_payments, 'employment_status', employment_status,
         'months_employed', months_employed, 'housing_status', housing_status, 'credit_score', credit_score,
         'credit_score_source', credit_score_source, 'credit_score_date', credit_score_date,
         'date_of_birth', date_of_birth, 'income_verified', income_verified, 'identity_verified', identity_verified)
       else '{}' end;
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
  if v_has_facts then
    -- The facts are checked as the trigger on the application would check them, but with every other field here.
    v_facts.amount := amount;
    v_facts.currency := currency;
    v_facts.product_code := coalesce(product_code, 'standard');
    v_facts.annual_income := annual_income;
    v_facts.monthly_debt_payments := monthly_debt_payments;
    v_facts.employment_status := employment_status;
    v_facts.months_employed := months_employed;
    v_facts.housing_status := housing_status;
    v_facts.credit_score := credit_score;
    v_facts.credit_score_source := credit_score_source;
    v_facts.credit_score_date := credit_score_date;
    v_facts.date_of_birth := date_of_birth;
    v_facts.income_verified := income_verified;
    v_facts.identity_verified := identity_verified;
    v_field_errors := v_field_errors || lending_private.application_fact_errors(v_facts);
  end if;
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

  insert into lending_private.application (
    applicant_id, amount, currency, term_months, purpose, external_ref, product_code, annual_income,
    monthly_debt_payments, employment_status, months_employed, housing_status, credit_score, credit_score_source,
    credit_score_date, date_of_birth, income_verified, identity_verified)
  values (
    v_applicant_id, amount, currency, term_months, purpose, external_ref, coalesce(product_code, 'standard'),
    annual_income, monthly_debt_payments, employment_status, months_employed, housing_status, credit_score,
    credit_score_source, credit_score_date, date_of_birth, income_verified, identity_verified)
  returning application_id into v_application_id;

  -- The application was filed just now, so it has no decisions: its document is built without looking for them.
  return lending_private.idempotency_complete(idempotency_key, 'apply', v_request, jsonb_build_object(
    'status', 201, 'body', lending_private.application_json(v_application_id, with_decisions => false)
                           || '{"decision": null, "decisions": [], "assessment": null, "offer": null, "review_claim": null}'));
end;
$$;


--
-- Name: FUNCTION apply(amount numeric, applicant_name text, applicant_id bigint, applicant_email text, applicant_phone text, applicant_external_ref text, currency text, term_months integer, purpose text, external_ref text, product_code text, annual_income numeric, monthly_debt_payments numeric, employment_status text, months_employed integer, housing_status text, credit_score integer, credit_score_source text, credit_score_date date, date_of_birth date, income_verified boolean, identity_verified boolean, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.apply(amount numeric, applicant_name text, applicant_id bigint, applicant_email text, applicant_phone text, applicant_external_ref text, currency text, term_months integer, purpose text, external_ref text, product_code text, annual_income numeric, monthly_debt_payments numeric, employment_status text, months_employed integer, housing_status text, credit_score integer, credit_score_source text, credit_score_date date, date_of_birth date, income_verified boolean, identity_verified boolean, actor text, request_id text, idempotency_key text) IS 'Files a loan application in status pending.

The applicant is either an existing one (applicant_id) or new, from applicant_name (required then),
applicant_email, applicant_phone and applicant_external_ref. amount is exact: > 0, at most 10000000.00, at most
2 decimal places (fewer if the currency has fewer). currency is an ISO 4217 code (default USD); term_months is
1-480; purpose at most 500 characters; external_ref at most 100. product_code names the loan product (default
standard, which needs no assessment); the underwriting facts may be given now or later (update_application):
annual_income and monthly_debt_payments (>= 0, 2 decimals), employment_status (employed, self_employed, unemployed,
retired, student, other), months_employed (0-1200), housing_status (own, mortgage, rent, living_with_family,
other), credit_score (300-850, with credit_score_source and credit_score_date, not after today), date_of_birth (18
or older today), income_verified, identity_verified. A repeated idempotency_key with the same arguments returns the
first response and writes nothing.
Returns: {status: 201, body: application, replayed}; the application as lending.get_application shows it.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, applicant_exists, idempotency_key_reused.';


--
-- Name: assess_application(bigint, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.assess_application(application_id bigint, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('assess', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id);
  v_replay jsonb;
  v_application lending_private.application;
  v_product lending_private.product;
  v_facts jsonb;
  v_result jsonb;
  v_assessment lending_private.assessment;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'assess', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  -- Locked, so that the facts assessed are the ones a concurrent update_application would otherwise be changing.
  v_application := lending_private.lock_application(application_id, null);
  if v_application.status not in ('pending', 'manual_review') then
    perform lending_private.fail(
      'not_in_underwriting',
      format('Application %s is %s: only a pending or manual_review application can be assessed', application_id,
             v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status));
  end if;
  select * into strict v_product from lending_private.product as p where p.product_code = v_application.product_code;
  v_facts := lending_private.application_facts(v_application);
  v_result := lending_private.evaluate_policy(v_facts, v_product.product_id, v_product.current_version);

  insert into lending_private.assessment (
    application_id, product_id, product_version, facts, rules, missing_facts, score, risk_grade, recommendation,
    reason_codes, offer, assessed_by, request_id)
  values (
    application_id, v_product.product_id, v_product.current_version, v_facts, v_result -> 'rules',
    array(select jsonb_array_elements_text(v_result -> 'missing_facts')), (v_result ->> 'score')::smallint,
    v_result ->> 'risk_grade', v_result ->> 'recommendation',
    array(select jsonb_array_elements_text(v_result -> 'reason_codes')), nullif(v_result -> 'offer', 'null'),
    lending_private.current_actor(), lending_private.current_request_id())
  returning * into v_assessment;

  return lending_private.idempotency_complete(idempotency_key, 'assess', v_request, jsonb_build_object(
    'status', 201, 'body', lending_private.assessment_json(v_assessment)));
end;
$$;


--
-- Name: FUNCTION assess_application(application_id bigint, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.assess_application(application_id bigint, actor text, request_id text, idempotency_key text) IS 'Assesses an application under its product''s current version and keeps the assessment.

Evaluates the product''s limits and policy rules against the application''s facts, in order of importance, and
records each rule''s measured value, threshold and result; a score and risk grade (A-E); the recommendation
(approve, reject or refer) with its reason codes, most important first, at most four; and the offer an approval
would fix (rate from the grade, installment, total interest, origination fee, APR by Regulation Z Appendix J).
Missing facts give refer with credit_application_incomplete and missing_facts. The evaluation reads no clock and no
randomness: the same facts and product version give the same assessment. Assessing again after the facts change
makes a new assessment; decisions rely on the latest. Only pending and manual_review applications are assessed.
Returns: {status: 201, body: assessment, replayed}.
Errors: validation_failed, not_found, version_conflict, not_in_underwriting, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.';


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
-- Name: claim_review(bigint, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.claim_review(application_id bigint, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('claim_review', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id);
  v_replay jsonb;
  v_application lending_private.application;
  v_held lending_private.review_claim;
  v_claim lending_private.review_claim;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'claim_review', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  v_application := lending_private.lock_application(application_id, null);
  if v_application.status <> 'manual_review' then
    perform lending_private.fail(
      'not_in_review',
      format('Application %s is %s: only an application in manual_review can be claimed', application_id,
             v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status));
  end if;
  select * into v_held from lending_private.review_claim as c
   where c.application_id = claim_review.application_id order by c.claim_id desc limit 1;
  if v_held.expires_at > now() and v_held.claimed_by <> lending_private.current_actor() then
    perform lending_private.fail(
      'review_claimed',
      format('Application %s is claimed by %s until %s', application_id, v_held.claimed_by,
             lending_private.json_time(v_held.expires_at)),
      jsonb_build_object('application_id', application_id, 'claimed_by', v_held.claimed_by,
                         'expires_at', lending_private.json_time(v_held.expires_at)));
  end if;

  insert into lending_private.review_claim (application_id, claimed_by, expires_at, request_id)
  values (application_id, lending_private.current_actor(),
          now() + make_interval(secs => lending_private.setting_value('review_claim_seconds')::integer),
          lending_private.current_request_id())
  returning * into v_claim;

  return lending_private.idempotency_complete(idempotency_key, 'claim_review', v_request, jsonb_build_object(
    'status', 201, 'body', lending_private.review_claim_json(v_claim)));
end;
$$;


--
-- Name: FUNCTION claim_review(application_id bigint, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.claim_review(application_id bigint, actor text, request_id text, idempotency_key text) IS 'Claims an application in manual_review for the calling reviewer, for a limited time.

Deciding an application in manual_review needs an unexpired claim of one''s own on it. A claim lasts the setting
review_claim_seconds (30 minutes unless changed) and then lapses; claiming again what one holds renews it. Two
reviewers claiming at once get one claim: the other is refused with review_claimed.
Returns: {status: 201, body: {claim_id, application_id, claimed_by, claimed_at, expires_at}, replayed}.
Errors: validation_failed, not_found, version_conflict, not_in_review, review_claimed, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.';


--
-- Name: confirm_decision(bigint, boolean, text, integer, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.confirm_decision(application_id bigint, confirm boolean, reason text DEFAULT NULL::text, expected_version integer DEFAULT NULL::integer, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('confirm_decision', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'confirm', confirm, 'reason', reason,
                                        'expected_version', expected_version);
  v_replay jsonb;
  v_application lending_private.application;
  v_decision lending_private.decision;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'confirm_decision', v_request);
  if v_replay is not null then
    return v_replay;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('confirm', case when confirm is null then 'is required' end),
    lending_private.field_error('reason', case
      when confirm is false and reason is null then 'is required to decline: say what the first reviewer should change'
      else lending_private.text_error(reason, 2000) end)]);

  v_application := lending_private.lock_application(application_id, expected_version);
  if v_application.status <> 'pending_confirmation' then
    perform lending_private.fail(
      'invalid_transition',
      format('Application %s is %s: only a decision waiting in pending_confirmation can be confirmed or declined',
             application_id, v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status,
                         'requested_status', case when confirm then 'approved' else 'manual_review' end,
                         'allowed', lending_private.next_statuses(v_application.status)));
  end if;
  select * into strict v_decision from lending_private.decision as d
   where d.application_id = confirm_decision.application_id order by d.decision_id desc limit 1;
  if v_decision.decided_by = lending_private.current_actor() then
    perform lending_private.fail(
      'own_decision',
      format('%s made decision %s and cannot confirm or decline it: another reviewer must',
             v_decision.decided_by, v_decision.decision_id),
      jsonb_build_object('application_id', application_id, 'decision_id', v_decision.decision_id,
                         'decided_by', v_decision.decided_by));
  end if;

  insert into lending_private.confirmation (application_id, decision_id, confirmed, reason, confirmed_by, request_id)
  values (application_id, v_decision.decision_id, confirm, reason, lending_private.current_actor(),
          lending_private.current_request_id());
  update lending_private.application as a set status = case when confirm then 'approved' else 'manual_review' end
   where a.application_id = confirm_decision.application_id;
  if confirm then
    perform lending_private.make_offer(v_decision);
  end if;

  return lending_private.idempotency_complete(idempotency_key, 'confirm_decision', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;


--
-- Name: FUNCTION confirm_decision(application_id bigint, confirm boolean, reason text, expected_version integer, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.confirm_decision(application_id bigint, confirm boolean, reason text, expected_version integer, actor text, request_id text, idempotency_key text) IS 'Confirms or declines, as a second reviewer, an approval waiting in pending_confirmation (four-eyes).

confirm true approves the application and fixes its offer; confirm false sends it back to manual_review and needs
reason (1-2000 characters), which the decision''s confirmation keeps. The reviewer who made the decision cannot
answer it (own_decision). Two reviewers answering at once give one answer; the other is refused.
Returns: {status: 200, body: application, replayed}.
Errors: validation_failed, not_found, version_conflict, invalid_transition, own_decision, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.';


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
-- Name: create_product(text, text, numeric, numeric, integer, integer, jsonb, numeric, text, text, boolean, jsonb, numeric, numeric, numeric, numeric, integer, integer, integer, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.create_product(product_code text, name text, min_amount numeric, max_amount numeric, min_term_months integer, max_term_months integer, rates jsonb, agent_approval_limit numeric, currency text DEFAULT NULL::text, amortization text DEFAULT 'annuity'::text, requires_assessment boolean DEFAULT true, rules jsonb DEFAULT '[]'::jsonb, origination_fee_percent numeric DEFAULT 0, origination_fee_cap numeric DEFAULT NULL::numeric, late_fee_flat numeric DEFAULT 0, late_fee_percent numeric DEFAULT 0, grace_days integer DEFAULT 5, write_off_days integer DEFAULT 180, offer_valid_days integer DEFAULT 30, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_role text := lending_private.authorize('manage_products', actor, request_id);
  v_document jsonb := jsonb_build_object(
    'product_code', product_code, 'name', name, 'currency', currency, 'min_amount', min_amount,
    'max_amount', max_amount, 'min_term_months', min_term_months, 'max_term_months', max_term_months,
    'amortization', amortization, 'origination_fee_percent', origination_fee_percent,
    'origination_fee_cap', origination_fee_cap, 'late_fee_flat', late_fee_flat, 'late_fee_percent', late_fee_percent,
    'grace_days', grace_days, 'write_off_days', write_off_days, 'offer_valid_days', offer_valid_days,
    'agent_approval_limit', agent_approval_limit, 'requires_assessment', requires_assessment, 'rates', rates,
    'rules', rules);
  v_replay jsonb;
  v_product_id bigint;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'create_product', v_document);
  if v_replay is not null then
    return v_replay;
  end if;

  perform lending_private.fail_if_invalid(
    array[lending_private.field_error('product_code', case
      when product_code is null then 'is required'
      when product_code !~ '^[a-z][a-z0-9_]{1,49}$'
        then 'must be 2-50 lower-case letters, digits or _, starting with a letter' end)]
    || lending_private.product_errors(v_document));

  insert into lending_private.product (product_code) values (product_code)
  on conflict on constraint product_code_is_unique do nothing
  returning product_id into v_product_id;
  if v_product_id is null then
    perform lending_private.fail('product_exists', format('A product with code %L exists already', product_code),
                                 jsonb_build_object('product_code', product_code));
  end if;
  perform lending_private.insert_product_version(v_product_id, 1, v_document);

  return lending_private.idempotency_complete(idempotency_key, 'create_product', v_document, jsonb_build_object(
    'status', 201, 'body', lending_private.product_json(v_product_id, 1)));
end;
$_$;


--
-- Name: FUNCTION create_product(product_code text, name text, min_amount numeric, max_amount numeric, min_term_months integer, max_term_months integer, rates jsonb, agent_approval_limit numeric, currency text, amortization text, requires_assessment boolean, rules jsonb, origination_fee_percent numeric, origination_fee_cap numeric, late_fee_flat numeric, late_fee_percent numeric, grace_days integer, write_off_days integer, offer_valid_days integer, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.create_product(product_code text, name text, min_amount numeric, max_amount numeric, min_term_months integer, max_term_months integer, rates jsonb, agent_approval_limit numeric, currency text, amortization text, requires_assessment boolean, rules jsonb, origination_fee_percent numeric, origination_fee_cap numeric, late_fee_flat numeric, late_fee_percent numeric, grace_days integer, write_off_days integer, offer_valid_days integer, actor text, request_id text, idempotency_key text) IS 'Creates a loan product, as its version 1.

product_code is 2-50 of a-z, 0-9 and _, starting with a letter. Amounts are 0.01-10000000.00 with min <= max; terms
1-480 months with min <= max; rates is an object with a nominal annual rate in percent (0-100, at most 4
decimals) for each risk grade A-E; amortization is annuity or equal_principal (monthly repayments). currency null
lends in the application''s currency. origination_fee_percent (0-50) of the amount, at most origination_fee_cap, is
the fee taken from the principal. requires_assessment true means no approval without a current assessment;
agent_approval_limit is the amount above which an approval waits for a second person. rules is an ordered array
(most important first) of {measure, comparison (>= or <=), threshold, reason_code, on_failure (reject or refer)};
measures: credit_score, debt_to_income, loan_to_income, months_employed, unverified_amount, identity_verified.
Returns: {status: 201, body: product, replayed}.
Errors: validation_failed, product_exists, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.';


--
-- Name: decide(bigint, text, text, text[], integer, text, text, text, numeric, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.decide(application_id bigint, outcome text, reason text, reason_codes text[] DEFAULT '{}'::text[], expected_version integer DEFAULT NULL::integer, override_reason text DEFAULT NULL::text, model_name text DEFAULT NULL::text, model_version text DEFAULT NULL::text, confidence numeric DEFAULT NULL::numeric, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('decide', actor, request_id);
  v_request jsonb;
  v_replay jsonb;
  v_actor lending_private.actor;
  v_application lending_private.application;
  v_product lending_private.product_version;
  v_assessment lending_private.assessment;
  v_current boolean;
  v_overrides boolean := false;
  v_needs_confirmation boolean;
  v_decision lending_private.decision;
begin
  v_request := jsonb_build_object(
    'application_id', application_id, 'outcome', outcome, 'reason', reason, 'reason_codes', reason_codes,
    'expected_version', expected_version, 'override_reason', override_reason, 'model_name', model_name,
    'model_version', model_version, 'confidence', confidence);
  v_replay := lending_private.idempotency_claim(idempotency_key, 'decide', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  select * into v_actor from lending_private.actor as a where a.name = lending_private.current_actor();
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('outcome', case
      when outcome is null then 'is required'
      when outcome not in ('approved', 'rejected', 'manual_review')
        then 'must be one of approved, rejected, manual_review' end),
    lending_private.field_error('reason', lending_private.text_error(reason, 2000, true)),
    lending_private.field_error('reason_codes',
      lending_private.decision_reasons_error(outcome, coalesce(reason_codes, '{}'))),
    lending_private.field_error('override_reason', lending_private.text_error(override_reason, 2000)),
    lending_private.field_error('model_name', lending_private.text_error(model_name, 100)),
    lending_private.field_error('model_version', case
      when model_version is not null and model_name is null then 'needs model_name'
      else lending_private.text_error(model_version, 100) end),
    lending_private.field_error('confidence', lending_private.number_error(confidence, 0, 1, 4))]);

  v_application := lending_private.lock_application(application_id, expected_version);
  if v_application.status = 'pending_confirmation' then
    perform lending_private.fail(
      'invalid_transition',
      format('Application %s waits for a second reviewer: confirm or decline the decision with confirm_decision',
             application_id),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status,
                         'requested_status', outcome, 'allowed', '[]'::jsonb));
  end if;
  perform lending_private.check_transition(application_id, v_application.status, outcome);
  if v_application.status = 'manual_review' and not exists (
       select from lending_private.review_claim as c
        where c.application_id = decide.application_id and c.claimed_by = v_actor.name and c.expires_at > now()
          and c.claim_id = (select max(l.claim_id) from lending_private.review_claim as l
                             where l.application_id = decide.application_id)) then
    perform lending_private.fail(
      'review_claim_required',
      format('Application %s is in manual review: claim it with claim_review before deciding it', application_id),
      jsonb_build_object('application_id', application_id, 'actor', v_actor.name));
  end if;

  select * into v_assessment from lending_private.assessment as s
   where s.application_id = decide.application_id order by s.assessment_id desc limit 1;
  v_current := v_assessment.facts = lending_private.application_facts(v_application);
  -- The product's terms are those of the version the current assessment was made under, if there is one: a product
  -- change after the assessment changes neither its offer nor who may approve it alone.
  select v.* into strict v_product
    from lending_private.product as p
    join lending_private.product_version as v
      on v.product_id = p.product_id
     and v.version = case when v_current then v_assessment.product_version else p.current_version end
   where p.product_code = v_application.product_code;
  if v_assessment.assessment_id is not null and not v_current and outcome <> 'manual_review' then
    perform lending_private.fail(
      'assessment_stale',
      format('Application %s changed after its latest assessment %s: assess it again before deciding',
             application_id, v_assessment.assessment_id),
      jsonb_build_object('application_id', application_id, 'assessment_id', v_assessment.assessment_id));
  end if;
  if v_assessment.assessment_id is null and outcome = 'approved' and v_product.requires_assessment then
    perform lending_private.fail(
      'assessment_required',
      format('Product %s requires an assessment before approval: run assess_application on application %s',
             v_application.product_code, application_id),
      jsonb_build_object('application_id', application_id, 'product_code', v_application.product_code));
  end if;

  if v_current then
    v_overrides := outcome <> case v_assessment.recommendation when 'approve' then 'approved'
                                                               when 'reject' then 'rejected'
                                                               else 'manual_review' end;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('override_reason', case
      when v_overrides and override_reason is null
        then format('is required: the decision %s overrides assessment %s, which recommends %s', outcome,
                    v_assessment.assessment_id, v_assessment.recommendation) end),
    lending_private.field_error('model_name', case
      when v_actor.kind = 'agent' and v_product.requires_assessment and model_name is null
        then format('is required from an agent deciding under product %s', v_application.product_code) end),
    lending_private.field_error('confidence', case
      when v_actor.kind = 'agent' and v_product.requires_assessment and confidence is null
        then format('is required from an agent deciding under product %s', v_application.product_code) end)]);
  v_needs_confirmation := outcome = 'approved'
                          and (v_application.amount > v_product.agent_approval_limit
                               or (v_overrides and v_assessment.recommendation = 'reject'));

  insert into lending_private.decision (
    application_id, outcome, reason, reason_codes, decided_by, request_id, assessment_id, recommendation,
    overrides_recommendation, override_reason, decided_by_kind, model_name, model_version, confidence,
    requires_confirmation)
  values (
    application_id, outcome, reason, coalesce(reason_codes, '{}'), v_actor.name, lending_private.current_request_id(),
    case when v_current then v_assessment.assessment_id end, case when v_current then v_assessment.recommendation end,
    v_overrides, override_reason, v_actor.kind, model_name, model_version, confidence, v_needs_confirmation)
  returning * into v_decision;

  update lending_private.application as a
     set status = case when v_needs_confirmation then 'pending_confirmation' else outcome end
   where a.application_id = decide.application_id
  returning * into v_application;
  if v_application.status = 'approved' then
    perform lending_private.make_offer(v_decision);
  end if;

  return lending_private.idempotency_complete(idempotency_key, 'decide', v_request, jsonb_build_object(
    'status', 201,
    'body', lending_private.decision_json(v_decision)
            || jsonb_build_object('status', v_application.status, 'version', v_application.version,
                                  'offer', (select lending_private.offer_json(o) from lending_private.offer as o
                                             where o.decision_id = v_decision.decision_id))));
end;
$$;


--
-- Name: FUNCTION decide(application_id bigint, outcome text, reason text, reason_codes text[], expected_version integer, override_reason text, model_name text, model_version text, confidence numeric, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.decide(application_id bigint, outcome text, reason text, reason_codes text[], expected_version integer, override_reason text, model_name text, model_version text, confidence numeric, actor text, request_id text, idempotency_key text) IS 'Records an underwriting decision and moves the application to its outcome, or to pending_confirmation.

outcome is approved, rejected or manual_review; reason is 1-2000 characters. reason_codes come from
lending.list_reason_codes: a rejection needs 1-4, most important first (other, with reason as its specific text,
when none fits); a referral may give up to 4; an approval none. The decision relies on the application''s latest
assessment, which must be current (facts unchanged since; else assessment_stale); a product that requires an
assessment cannot be approved without one (assessment_required). An outcome other than the assessment''s
recommendation is an override and needs override_reason. An agent deciding under such a product gives model_name
(and model_version) and confidence in [0, 1]. An application in manual_review can be decided only by the holder of
an unexpired claim (claim_review). An approval above the product''s agent_approval_limit, or one overriding a reject
recommendation, waits in pending_confirmation for a second reviewer (confirm_decision); any other approval fixes an
offer at once. With expected_version the call fails unless the application is at that version.
Returns: {status: 201, body: decision with the application''s new status and version and the offer, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found, version_conflict, invalid_transition, review_claim_required, assessment_required, assessment_stale, idempotency_key_reused.';


--
-- Name: decline_offer(bigint, text, integer, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.decline_offer(application_id bigint, reason text DEFAULT NULL::text, expected_version integer DEFAULT NULL::integer, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('decline_offer', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'reason', reason,
                                        'expected_version', expected_version);
  v_replay jsonb;
  v_application lending_private.application;
  v_offer_id bigint;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'decline_offer', v_request);
  if v_replay is not null then
    return v_replay;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('reason', lending_private.text_error(reason, 2000))]);

  v_application := lending_private.lock_application(application_id, expected_version);
  perform lending_private.check_transition(application_id, v_application.status, 'offer_declined');
  select o.offer_id into v_offer_id from lending_private.offer as o
   where o.application_id = decline_offer.application_id order by o.offer_id desc limit 1;
  if v_offer_id is null then
    perform lending_private.fail_offer_not_found(application_id);
  end if;
  insert into lending_private.offer_response (offer_id, application_id, response, reason, recorded_by, request_id)
  values (v_offer_id, application_id, 'declined', reason, lending_private.current_actor(),
          lending_private.current_request_id());
  update lending_private.application as a set status = 'offer_declined'
   where a.application_id = decline_offer.application_id;
  return lending_private.idempotency_complete(idempotency_key, 'decline_offer', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;


--
-- Name: FUNCTION decline_offer(application_id bigint, reason text, expected_version integer, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.decline_offer(application_id bigint, reason text, expected_version integer, actor text, request_id text, idempotency_key text) IS 'Declines, on the borrower''s behalf, the offer of an approved application (-> offer_declined, final).

reason is optional, at most 2000 characters. With expected_version the call fails unless the application is at
that version.
Returns: {status: 200, body: application, replayed}.
Errors: validation_failed, not_found, version_conflict, invalid_transition, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.';


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
-- Name: get_product(text, integer, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.get_product(product_code text, version integer DEFAULT NULL::integer, actor text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('read_products', actor, null);
  v_product lending_private.product;
begin
  select * into v_product from lending_private.product as p where p.product_code = get_product.product_code;
  if not found or not exists (select from lending_private.product_version as v
                               where v.product_id = v_product.product_id
                                 and v.version = coalesce(get_product.version, v_product.current_version)) then
    perform lending_private.fail(
      'not_found',
      case when v_product.product_id is null then format('No product has code %L', product_code)
           else format('Product %s has no version %s', product_code, version) end,
      jsonb_build_object('resource', 'product', 'product_code', product_code, 'version', version));
  end if;
  return lending_private.product_json(v_product.product_id, coalesce(version, v_product.current_version));
end;
$$;


--
-- Name: FUNCTION get_product(product_code text, version integer, actor text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.get_product(product_code text, version integer, actor text) IS 'Reads a loan product: its current version, or the version named.

Versions never change, so an assessment or an offer can always be read against the terms it was made under.
Returns: product (with version and current_version).
Errors: validation_failed, not_found, unauthenticated, forbidden, actor_mismatch.';


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
    AS $$
declare
  v_role text := lending_private.authorize('read_applications', actor, null);
  v_after bigint := lending_private.cursor_id(after);
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
    v_next := lending_private.id_cursor(v_ids["limit"]);
    v_ids := v_ids[1:"limit"];
  end if;
  return jsonb_build_object(
    'items', (select coalesce(jsonb_agg(lending_private.application_json(i.id, false) order by i.id desc), '[]')
                from unnest(v_ids) as i(id)),
    'next_cursor', v_next);
end;
$$;


--
-- Name: FUNCTION list_applications(status text, "limit" integer, after text, actor text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.list_applications(status text, "limit" integer, after text, actor text) IS 'Lists applications newest first, one page at a time.

status filters by status; limit is 1-100 (default 50); after is the next_cursor of the previous page. Items carry
the application without its decision history; next_cursor is null on the last page.
Returns: {items: [application], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.';


--
-- Name: list_products(text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.list_products(actor text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('read_products', actor, null);
begin
  return jsonb_build_object('items', (
    select coalesce(jsonb_agg(lending_private.product_json(p.product_id, p.current_version) order by p.product_code),
                    '[]')
      from lending_private.product as p));
end;
$$;


--
-- Name: FUNCTION list_products(actor text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.list_products(actor text) IS 'Lists every loan product in its current version, by code.

Returns: {items: [product]}: each with its terms, its rate by risk grade and its policy rules.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.';


--
-- Name: list_reason_codes(text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.list_reason_codes(actor text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('read_products', actor, null);
begin
  return jsonb_build_object('items', (
    select jsonb_agg(jsonb_build_object('code', r.code, 'text', r.notice_text, 'requires_text', r.requires_text)
                     order by r.position)
      from lending_private.adverse_reason as r));
end;
$$;


--
-- Name: FUNCTION list_reason_codes(actor text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.list_reason_codes(actor text) IS 'Lists the reason codes a decision may give, with the words an adverse action notice shows for each.

Modelled on the sample reasons of Regulation B form C-1. A rejection gives 1-4 of them, most important first;
`other` (requires_text) shows the decision''s reason as its text.
Returns: {items: [{code, text, requires_text}]}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.';


--
-- Name: record_notice_sent(bigint, text, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.record_notice_sent(application_id bigint, channel text, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('decide', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'channel', channel);
  v_replay jsonb;
  v_application lending_private.application;
  v_decision_id bigint;
  v_delivery lending_private.notice_delivery;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'record_notice_sent', v_request);
  if v_replay is not null then
    return v_replay;
  end if;
  perform lending_private.fail_if_invalid(array[lending_private.field_error('channel', case
    when channel is null then 'is required'
    when channel not in ('email', 'post', 'in_app', 'sms') then 'must be one of email, post, in_app, sms' end)]);

  v_application := lending_private.lock_application(application_id, null);
  v_decision_id := (lending_private.rejection_of(v_application)).decision_id;
  insert into lending_private.notice_delivery (application_id, decision_id, channel, recorded_by, request_id)
  values (application_id, v_decision_id, channel, lending_private.current_actor(),
          lending_private.current_request_id())
  returning * into v_delivery;

  return lending_private.idempotency_complete(idempotency_key, 'record_notice_sent', v_request, jsonb_build_object(
    'status', 201, 'body', jsonb_build_object(
      'delivery_id', v_delivery.delivery_id, 'application_id', v_delivery.application_id,
      'decision_id', v_delivery.decision_id, 'channel', v_delivery.channel, 'recorded_by', v_delivery.recorded_by,
      'sent_at', lending_private.json_time(v_delivery.sent_at))));
end;
$$;


--
-- Name: FUNCTION record_notice_sent(application_id bigint, channel text, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.record_notice_sent(application_id bigint, channel text, actor text, request_id text, idempotency_key text) IS 'Records that the adverse action notice of a rejected application was sent, and by which channel.

channel is email, post, in_app or sms. Each call records one delivery (a notice may be sent again); use an
idempotency key to make a retry safe.
Returns: {status: 201, body: {delivery_id, application_id, decision_id, channel, recorded_by, sent_at}, replayed}.
Errors: validation_failed, not_found, version_conflict, no_adverse_action, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.';


--
-- Name: review_queue(integer, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.review_queue("limit" integer DEFAULT 50, after text DEFAULT NULL::text, actor text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('claim_review', actor, null);
  v_after bigint := lending_private.cursor_id(after);
  v_ids bigint[];
  v_next text;
begin
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 100
                                              then 'must be between 1 and 100' end),
    lending_private.field_error('after', case when after is not null and v_after is null
                                              then 'must be a next_cursor returned by an earlier page' end)]);

  select array_agg(a.application_id order by a.application_id) into v_ids
    from (select a.application_id from lending_private.application as a
           where a.status = 'manual_review' and (v_after is null or a.application_id > v_after)
           order by a.application_id
           limit "limit" + 1) as a;
  if cardinality(v_ids) > "limit" then
    v_next := lending_private.id_cursor(v_ids["limit"]);
    v_ids := v_ids[1:"limit"];
  end if;

  return jsonb_build_object(
    'items', (select coalesce(jsonb_agg(
                  lending_private.application_json(i.id, false)
                  || jsonb_build_object(
                       'assessment', (select lending_private.assessment_json(s)
                                             || jsonb_build_object('current',
                                                                   s.facts = lending_private.application_facts(a))
                                        from lending_private.assessment as s
                                        join lending_private.application as a on a.application_id = s.application_id
                                       where s.application_id = i.id order by s.assessment_id desc limit 1),
                       'claim', (select lending_private.review_claim_json(c) from lending_private.review_claim as c
                                  where c.application_id = i.id and c.expires_at > now()
                                  order by c.claim_id desc limit 1))
                  order by i.id), '[]')
                from unnest(v_ids) as i(id)),
    'next_cursor', v_next);
end;
$$;


--
-- Name: FUNCTION review_queue("limit" integer, after text, actor text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.review_queue("limit" integer, after text, actor text) IS 'Lists the applications waiting in manual_review, oldest first, with their latest assessment and current claim.

limit is 1-100 (default 50); after is the next_cursor of the previous page. The assessment says whether it is
current (the facts unchanged since); a decision needs a current one. claim is null when nobody holds an unexpired
claim: claim the application (claim_review) before deciding it.
Returns: {items: [application with assessment and claim], next_cursor}.
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
-- Name: update_application(bigint, jsonb, integer, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.update_application(application_id bigint, changes jsonb, expected_version integer DEFAULT NULL::integer, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('update_application', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'changes', changes,
                                        'expected_version', expected_version);
  v_kinds constant jsonb := '{
    "amount": "number", "term_months": "integer", "purpose": "text", "product_code": "text",
    "annual_income": "number", "monthly_debt_payments": "number", "employment_status": "text",
    "months_employed": "integer", "housing_status": "text", "credit_score": "integer",
    "credit_score_source": "text", "credit_score_date": "date", "date_of_birth": "date",
    "income_verified": "boolean", "identity_verified": "boolean"}';
  v_replay jsonb;
  v_application lending_private.application;
  v_patched lending_private.application;
  v_minor_units smallint;
  v_amount numeric;
  v_term_months integer;
  v_purpose text;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'update_application', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  if changes is null or jsonb_typeof(changes) <> 'object' then
    perform lending_private.fail_if_invalid(array[lending_private.field_error('changes', 'must be an object')]);
  end if;
  perform lending_private.fail_if_invalid(array(
    select lending_private.field_error(c.key, case
             when not v_kinds ? c.key then format('cannot be changed: the fields that can are %s',
                                                  (select string_agg(k, ', ' order by k) from jsonb_object_keys(v_kinds) as k))
             when c.key in ('amount', 'product_code') and c.value = 'null' then 'cannot be cleared'
             else lending_private.json_value_error(c.value, v_kinds ->> c.key) end)
      from jsonb_each(changes) as c order by c.key));

  v_application := lending_private.lock_application(application_id, expected_version);
  if v_application.status not in ('pending', 'manual_review') then
    perform lending_private.fail(
      'not_in_underwriting',
      format('Application %s is %s: its facts can change only while it is pending or in manual_review',
             application_id, v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status));
  end if;

  -- amount, term_months and purpose are of domains, which would refuse a bad value as it is read into the row, in
  -- their own words and before the other fields are checked: they are checked first, as values.
  v_amount := case when changes ? 'amount' then (changes ->> 'amount')::numeric else v_application.amount end;
  v_term_months := case when changes ? 'term_months' then (changes ->> 'term_months')::integer
                        else v_application.term_months end;
  v_purpose := case when changes ? 'purpose' then changes ->> 'purpose' else v_application.purpose end;
  v_patched := jsonb_populate_record(v_application, changes - array['amount', 'term_months', 'purpose']);
  select c.minor_units into v_minor_units from lending_private.currency as c where c.code = v_patched.currency;
  perform lending_private.fail_if_invalid(array[
      lending_private.field_error('amount', case when changes ? 'amount'
                                                 then lending_private.amount_error(v_amount, v_minor_units) end),
      lending_private.field_error('term_months', lending_private.term_months_error(v_term_months)),
      lending_private.field_error('purpose', lending_private.text_error(v_purpose, 500))]
    || lending_private.application_fact_errors(v_patched));
  v_patched.amount := v_amount;
  v_patched.term_months := v_term_months;
  v_patched.purpose := v_purpose;

  if v_patched is distinct from v_application then
    update lending_private.application as a
       set amount = v_patched.amount, term_months = v_patched.term_months, purpose = v_patched.purpose,
           product_code = v_patched.product_code, annual_income = v_patched.annual_income,
           monthly_debt_payments = v_patched.monthly_debt_payments, employment_status = v_patched.employment_status,
           months_employed = v_patched.months_employed, housing_status = v_patched.housing_status,
           credit_score = v_patched.credit_score, credit_score_source = v_patched.credit_score_source,
           credit_score_date = v_patched.credit_score_date, date_of_birth = v_patched.date_of_birth,
           income_verified = v_patched.income_verified, identity_verified = v_patched.identity_verified
     where a.application_id = update_application.application_id;
  end if;

  return lending_private.idempotency_complete(idempotency_key, 'update_application', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;


--
-- Name: FUNCTION update_application(application_id bigint, changes jsonb, expected_version integer, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.update_application(application_id bigint, changes jsonb, expected_version integer, actor text, request_id text, idempotency_key text) IS 'Changes an application''s loan and underwriting facts with a JSON merge patch, while it is pending or in review.

changes is an object of the fields to change: amount, term_months, purpose, product_code, annual_income,
monthly_debt_payments, employment_status, months_employed, housing_status, credit_score, credit_score_source,
credit_score_date, date_of_birth, income_verified, identity_verified. A field given replaces the current value, null
clears it (not amount or product_code), an absent one stays; the result is checked as lending.apply checks a new
application. Emits application.updated when something changed; an assessment made before is then stale. With
expected_version the call fails unless the application is at that version.
Returns: {status: 200, body: application, replayed}.
Errors: validation_failed, not_found, version_conflict, not_in_underwriting, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.';


--
-- Name: update_product(text, jsonb, integer, text, text, text); Type: FUNCTION; Schema: lending; Owner: -
--

CREATE FUNCTION lending.update_product(product_code text, changes jsonb, expected_version integer DEFAULT NULL::integer, actor text DEFAULT NULL::text, request_id text DEFAULT NULL::text, idempotency_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role text := lending_private.authorize('manage_products', actor, request_id);
  v_request jsonb := jsonb_build_object('product_code', product_code, 'changes', changes,
                                        'expected_version', expected_version);
  v_replay jsonb;
  v_product lending_private.product;
  v_current jsonb;
  v_document jsonb;
  v_unknown text[];
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'update_product', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  select * into v_product from lending_private.product as p where p.product_code = update_product.product_code
     for update;
  if not found then
    perform lending_private.fail('not_found', format('No product has code %L', product_code),
                                 jsonb_build_object('resource', 'product', 'product_code', product_code));
  end if;
  if expected_version is not null and expected_version <> v_product.current_version then
    perform lending_private.fail(
      'version_conflict',
      format('Product %s is at version %s, not %s', product_code, v_product.current_version, expected_version),
      jsonb_build_object('product_code', product_code, 'expected_version', expected_version,
                         'current_version', v_product.current_version));
  end if;

  v_current := lending_private.product_json(v_product.product_id, v_product.current_version);
  if changes is null or jsonb_typeof(changes) <> 'object' then
    perform lending_private.fail_if_invalid(array[lending_private.field_error('changes', 'must be an object')]);
  end if;
  v_unknown := array(select k from jsonb_object_keys(changes) as k
                      where k not in (select jsonb_object_keys(v_current))
                         or k in ('product_code', 'version', 'current_version', 'repayment_frequency', 'created_by',
                                  'created_at')
                      order by k);
  perform lending_private.fail_if_invalid(array(
    select lending_private.field_error(k, 'cannot be changed: it is not a product term') from unnest(v_unknown) as k)
    -- Applications filed in the product's currency stay in it: a product that lends in another is another product.
    || lending_private.field_error('currency', case
         when changes ? 'currency' and changes -> 'currency' is distinct from v_current -> 'currency'
           then 'cannot be changed: applications filed under the product are in its currency; create another product' end));

  -- The rules as stored carry their position, which the order of the array gives on the way in.
  v_current := jsonb_set(v_current, '{rules}', (select coalesce(jsonb_agg(r - 'position'), '[]')
                                                  from jsonb_array_elements(v_current -> 'rules') as r));
  -- A null clears an optional term (its key goes); rates and rules stay, so that a null for them is refused as
  -- a field rather than read as no rates at all.
  v_document := jsonb_strip_nulls(v_current || changes)
                || jsonb_build_object('rates', (v_current || changes) -> 'rates',
                                      'rules', (v_current || changes) -> 'rules');
  perform lending_private.fail_if_invalid(lending_private.product_errors(v_document));

  update lending_private.product as p set current_version = p.current_version + 1, updated_at = now()
   where p.product_id = v_product.product_id
  returning * into v_product;
  perform lending_private.insert_product_version(v_product.product_id, v_product.current_version, v_document);

  return lending_private.idempotency_complete(idempotency_key, 'update_product', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.product_json(v_product.product_id, v_product.current_version)));
end;
$$;


--
-- Name: FUNCTION update_product(product_code text, changes jsonb, expected_version integer, actor text, request_id text, idempotency_key text); Type: COMMENT; Schema: lending; Owner: -
--

COMMENT ON FUNCTION lending.update_product(product_code text, changes jsonb, expected_version integer, actor text, request_id text, idempotency_key text) IS 'Changes a loan product by making its next version.

changes is a JSON merge patch over the product''s terms (create_product''s fields but product_code and currency,
which applications filed under it keep): a field given replaces the current one, null clears an optional one
(origination_fee_cap), an absent one stays; rates
and rules, when given, replace the whole set. The result is checked as create_product checks a new product. With
expected_version the call fails unless the product''s current version is that one. Earlier versions, and every
assessment and offer made under them, are unchanged.
Returns: {status: 200, body: product (the new version), replayed}.
Errors: validation_failed, not_found, version_conflict, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.';


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
-- Name: annual_percentage_rate(numeric, numeric[]); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.annual_percentage_rate(amount_financed numeric, payments numeric[]) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_total numeric := 0;
  v_payment numeric;
  v_rate numeric := 0.015625;  -- the monthly rate tried first: 1/64 a month (18.75% a year), doubled while below
  v_low numeric := 0;   -- the highest rate tried at which the loan is not paid off (final balance <= 0)
  v_high numeric;       -- the lowest rate tried at which it is more than paid off; null until one is found
  v_balance numeric;
  v_steps integer := 0;
begin
  -- An internal function: its callers compute what they pass, so a violation here is a bug, not a user's problem.
  if amount_financed <= 0 then
    raise exception 'annual_percentage_rate: amount_financed must be positive, not %', amount_financed;
  end if;
  if cardinality(payments) = 0 or array_ndims(payments) <> 1 then
    raise exception 'annual_percentage_rate: payments must be a non-empty list';
  end if;
  foreach v_payment in array payments loop
    if v_payment is null or v_payment < 0 then
      raise exception 'annual_percentage_rate: every payment must be 0 or more, not %', v_payment;
    end if;
    v_total := v_total + v_payment;
  end loop;
  if v_total < amount_financed then
    raise exception 'annual_percentage_rate: the payments (%) sum to less than the amount financed (%)',
      v_total, amount_financed;
  end if;
  if v_total = amount_financed then
    return 0.00;  -- no finance charge
  end if;

  loop
    v_balance := amount_financed;
    foreach v_payment in array payments loop
      v_balance := round(v_balance * (1 + v_rate) - v_payment, 30);
    end loop;
    if v_balance > 0 then
      v_high := v_rate;
    else
      v_low := v_rate;
    end if;
    exit when v_high is not null
              and (round(1200 * v_low, 2) = round(1200 * v_high, 2) or v_high - v_low <= 1e-15);
    v_steps := v_steps + 1;
    if v_steps = 200 or (v_high is null and v_steps = 64) then
      raise exception 'annual_percentage_rate: no rate found for % financed against % payments summing to %',
        amount_financed, cardinality(payments), v_total;
    end if;
    v_rate := case when v_high is null then v_rate * 2 else round((v_low + v_high) * 0.5, 30) end;
  end loop;
  return round(1200 * (v_low + v_high) * 0.5, 2);
end;
$$;


--
-- Name: FUNCTION annual_percentage_rate(amount_financed numeric, payments numeric[]); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.annual_percentage_rate(amount_financed numeric, payments numeric[]) IS 'The APR, in percent rounded to 2 decimals, of amount_financed repaid by payments[k] due k months after it.

Regulation Z''s actuarial method (12 CFR 1026 Appendix J) with a monthly unit period and a regular first period:
the nominal yearly rate 12 * i at which amount_financed = sum payments[k] / (1 + i)^k, found by bisection in exact
numeric arithmetic (the same on every server). 0.00 when the payments sum to amount_financed. Raises a plain
exception when amount_financed is not positive, payments is empty, holds a null or negative payment, or sums to
less than amount_financed.';


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
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    product_code text DEFAULT 'standard'::text NOT NULL,
    annual_income numeric,
    monthly_debt_payments numeric,
    employment_status text,
    months_employed integer,
    housing_status text,
    credit_score integer,
    credit_score_source text,
    credit_score_date date,
    date_of_birth date,
    income_verified boolean,
    identity_verified boolean
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
-- Name: COLUMN application.product_code; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.application.product_code IS 'The loan product applied for (lending_private.product); the default product, standard, when none was named.';


--
-- Name: COLUMN application.annual_income; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.application.annual_income IS 'Gross annual income, in the application''s currency.';


--
-- Name: COLUMN application.monthly_debt_payments; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.application.monthly_debt_payments IS 'Payments on existing debts per month, before this loan, in the application''s currency.';


--
-- Name: COLUMN application.credit_score; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.application.credit_score IS 'A credit score of 300-850, from credit_score_source on credit_score_date.';


--
-- Name: application_fact_errors(lending_private.application); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.application_fact_errors(a lending_private.application) RETURNS jsonb[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_filed_on date := (coalesce(a.created_at, now()) at time zone 'UTC')::date;
  v_product_currency text;
  v_product_found boolean;
begin
  select true, v.currency into v_product_found, v_product_currency
    from lending_private.product as p
    join lending_private.product_version as v on v.product_id = p.product_id and v.version = p.current_version
   where p.product_code = a.product_code;
  return array[
    lending_private.field_error('product_code', case
      when a.product_code is null then 'is required'
      when v_product_found is null then 'must be the code of a product (lending.list_products)' end),
    lending_private.field_error('currency', case
      when v_product_currency is not null and a.currency is distinct from v_product_currency
        then format('must be %s, the currency of product %s', v_product_currency, a.product_code) end),
    lending_private.field_error('annual_income', lending_private.money_error(a.annual_income, 0, 100000000)),
    lending_private.field_error('monthly_debt_payments',
      lending_private.money_error(a.monthly_debt_payments, 0, 10000000)),
    lending_private.field_error('employment_status', case
      when a.employment_status not in ('employed', 'self_employed', 'unemployed', 'retired', 'student', 'other')
        then 'must be one of employed, self_employed, unemployed, retired, student, other' end),
    lending_private.field_error('months_employed', lending_private.number_error(a.months_employed, 0, 1200)),
    lending_private.field_error('housing_status', case
      when a.housing_status not in ('own', 'mortgage', 'rent', 'living_with_family', 'other')
        then 'must be one of own, mortgage, rent, living_with_family, other' end),
    lending_private.field_error('credit_score', lending_private.number_error(a.credit_score, 300, 850)),
    lending_private.field_error('credit_score_source', case
      when a.credit_score is not null and a.credit_score_source is null then 'is required with a credit_score'
      else lending_private.text_error(a.credit_score_source, 100) end),
    lending_private.field_error('credit_score_date', case
      when a.credit_score is not null and a.credit_score_date is null then 'is required with a credit_score'
      when a.credit_score_date > v_filed_on then 'must not be after the day the application was filed'
      when a.credit_score_date < date '1900-01-01' then 'must be after 1900-01-01' end),
    lending_private.field_error('date_of_birth', case
      when a.date_of_birth < date '1900-01-01' then 'must be after 1900-01-01'
      when a.date_of_birth + interval '18 years' > v_filed_on
        then format('must make the applicant 18 or older on %s, the day the application was filed', v_filed_on) end)];
end;
$$;


--
-- Name: FUNCTION application_fact_errors(a lending_private.application); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.application_fact_errors(a lending_private.application) IS 'Field errors of an application''s product and underwriting facts; nulls where fine.';


--
-- Name: application_facts(lending_private.application); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.application_facts(a lending_private.application) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return jsonb_build_object(
    'product_code', a.product_code,
    'amount', a.amount::text,
    'currency', a.currency,
    'term_months', a.term_months,
    'annual_income', a.annual_income::text,
    'monthly_debt_payments', a.monthly_debt_payments::text,
    'employment_status', a.employment_status,
    'months_employed', a.months_employed,
    'housing_status', a.housing_status,
    'credit_score', a.credit_score,
    'credit_score_source', a.credit_score_source,
    'credit_score_date', to_char(a.credit_score_date, 'YYYY-MM-DD'),
    'date_of_birth', to_char(a.date_of_birth, 'YYYY-MM-DD'),
    'income_verified', a.income_verified,
    'identity_verified', a.identity_verified);
end;
$$;


--
-- Name: FUNCTION application_facts(a lending_private.application); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.application_facts(a lending_private.application) IS 'The loan asked for and the underwriting facts of an application, as an assessment reads them.';


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
      'updated_at', lending_private.json_time(a.updated_at),
      'product_code', a.product_code,
      'annual_income', a.annual_income::text,
      'monthly_debt_payments', a.monthly_debt_payments::text,
      'employment_status', a.employment_status,
      'months_employed', a.months_employed,
      'housing_status', a.housing_status,
      'credit_score', a.credit_score,
      'credit_score_source', a.credit_score_source,
      'credit_score_date', to_char(a.credit_score_date, 'YYYY-MM-DD'),
      'date_of_birth', to_char(a.date_of_birth, 'YYYY-MM-DD'),
      'income_verified', a.income_verified,
      'identity_verified', a.identity_verified,
      'missing_facts', to_jsonb(lending_private.missing_facts(lending_private.application_facts(a),
                                                              pr.product_id, pr.current_version)))
    || case when with_decisions then jsonb_build_object(
         'assessment', (select lending_private.assessment_json(s)
                               || jsonb_build_object('current', s.facts = lending_private.application_facts(a))
                          from lending_private.assessment as s
                         where s.application_id = a.application_id order by s.assessment_id desc limit 1),
         'offer', (select lending_private.offer_json(o) from lending_private.offer as o
                    where o.application_id = a.application_id order by o.offer_id desc limit 1),
         'review_claim', (select lending_private.review_claim_json(c) from lending_private.review_claim as c
                           where c.application_id = a.application_id and c.expires_at > now()
                           order by c.claim_id desc limit 1))
       else '{}' end
    || case when with_decisions then (
         select jsonb_build_object('decision', h.decisions -> -1, 'decisions', h.decisions)
           from (select coalesce(jsonb_agg(lending_private.decision_json(d) order by d.decision_id), '[]') as decisions
                   from lending_private.decision as d where d.application_id = a.application_id) as h)
       else '{}' end
  from lending_private.application as a
  join lending_private.party as p on p.party_id = a.applicant_id
  join lending_private.product as pr on pr.product_code = a.product_code
  where a.application_id = application_json.application_id);
end;
$$;


--
-- Name: FUNCTION application_json(application_id bigint, with_decisions boolean); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.application_json(application_id bigint, with_decisions boolean) IS 'An application with its applicant, product and facts and, unless with_decisions is false, its latest decision, decision history, latest assessment, offer and review claim.';


--
-- Name: assessment; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.assessment (
    assessment_id bigint NOT NULL,
    application_id bigint NOT NULL,
    product_id bigint NOT NULL,
    product_version integer NOT NULL,
    facts jsonb NOT NULL,
    rules jsonb NOT NULL,
    missing_facts text[] NOT NULL,
    score smallint,
    risk_grade text,
    recommendation text NOT NULL,
    reason_codes text[] NOT NULL,
    offer jsonb,
    assessed_by text NOT NULL,
    request_id text,
    assessed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT assessment_recommendation_is_known CHECK ((recommendation = ANY (ARRAY['approve'::text, 'reject'::text, 'refer'::text])))
);


--
-- Name: TABLE assessment; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.assessment IS 'Append-only assessments of applications under a product version; the latest of an application is the one that counts.';


--
-- Name: COLUMN assessment.facts; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.assessment.facts IS 'The facts assessed (lending_private.application_facts).';


--
-- Name: COLUMN assessment.rules; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.assessment.rules IS 'Each rule evaluated, in order of importance: measure, comparison, threshold, value, result, reason_code, on_failure.';


--
-- Name: COLUMN assessment.offer; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.assessment.offer IS 'The offer an approval would fix: rate from the grade, installment, total interest, fee and APR; null when none can be made.';


--
-- Name: assessment_json(lending_private.assessment); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.assessment_json(s lending_private.assessment) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return jsonb_build_object(
    'assessment_id', s.assessment_id,
    'application_id', s.application_id,
    'product_code', s.facts ->> 'product_code',
    'product_version', s.product_version,
    'recommendation', s.recommendation,
    'score', s.score,
    'risk_grade', s.risk_grade,
    'reason_codes', to_jsonb(s.reason_codes),
    'reasons', (select coalesce(jsonb_agg(jsonb_build_object('code', r.code, 'text', r.notice_text) order by c.n), '[]')
                  from unnest(s.reason_codes) with ordinality as c(code, n)
                  join lending_private.adverse_reason as r on r.code = c.code),
    'missing_facts', to_jsonb(s.missing_facts),
    'rules', s.rules,
    'offer', s.offer,
    'facts', s.facts,
    'assessed_by', s.assessed_by,
    'request_id', s.request_id,
    'assessed_at', lending_private.json_time(s.assessed_at));
end;
$$;


--
-- Name: FUNCTION assessment_json(s lending_private.assessment); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.assessment_json(s lending_private.assessment) IS 'An assessment as the API shows it: recommendation, score, grade, reasons in words, rules, offer and the facts assessed.';


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
    when subject not in ('application', 'party', 'actor', 'product')
      then 'subject must be application, party, actor or product'
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
-- Name: check_application_facts(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.check_application_facts() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if tg_op = 'UPDATE'
     and (new.product_code, new.currency, new.annual_income, new.monthly_debt_payments, new.employment_status,
          new.months_employed, new.housing_status, new.credit_score, new.credit_score_source, new.credit_score_date,
          new.date_of_birth)
         is not distinct from
         (old.product_code, old.currency, old.annual_income, old.monthly_debt_payments, old.employment_status,
          old.months_employed, old.housing_status, old.credit_score, old.credit_score_source, old.credit_score_date,
          old.date_of_birth) then
    return new;
  end if;
  if tg_op = 'INSERT' and new.product_code = 'standard'
     and num_nonnulls(new.annual_income, new.monthly_debt_payments, new.employment_status, new.months_employed,
                      new.housing_status, new.credit_score, new.credit_score_source, new.credit_score_date,
                      new.date_of_birth) = 0 then
    return new;
  end if;
  perform lending_private.fail_if_invalid(lending_private.application_fact_errors(new));
  return new;
end;
$$;


--
-- Name: FUNCTION check_application_facts(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.check_application_facts() IS 'Trigger: an application''s product and facts follow lending_private.application_fact_errors, whoever writes.';


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
-- Name: check_decision_reasons(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.check_decision_reasons() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lending_private.fail_if_invalid(array[lending_private.field_error(
    'reason_codes', lending_private.decision_reasons_error(new.outcome, new.reason_codes))]);
  return new;
end;
$$;


--
-- Name: FUNCTION check_decision_reasons(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.check_decision_reasons() IS 'Trigger: a new decision''s reason codes follow lending_private.decision_reasons_error, whoever writes.';


--
-- Name: check_product_terms(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.check_product_terms() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lending_private.fail_if_invalid(lending_private.product_errors(to_jsonb(new)));
  return new;
end;
$$;


--
-- Name: FUNCTION check_product_terms(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.check_product_terms() IS 'Trigger: a product version''s terms follow lending_private.product_errors, whoever writes.';


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
-- Name: cursor_id(text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.cursor_id(cursor text) RETURNS bigint
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_digits text := substring(lending_private.cursor_text(cursor) from '^[1-9][0-9]{0,18}$');
begin
  return case when v_digits::numeric <= 9223372036854775807 then v_digits::bigint end;
end;
$_$;


--
-- Name: FUNCTION cursor_id(cursor text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.cursor_id(cursor text) IS 'The id a page cursor (lending_private.id_cursor) names, or null when it names none.';


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
    decided_at timestamp with time zone DEFAULT now() NOT NULL,
    assessment_id bigint,
    recommendation text,
    overrides_recommendation boolean DEFAULT false NOT NULL,
    override_reason lending_private.reason,
    decided_by_kind text,
    model_name text,
    model_version text,
    confidence numeric,
    requires_confirmation boolean DEFAULT false NOT NULL,
    CONSTRAINT decision_confidence_is_a_probability CHECK (((confidence >= (0)::numeric) AND (confidence <= (1)::numeric))),
    CONSTRAINT decision_override_has_reason CHECK (((NOT overrides_recommendation) OR (override_reason IS NOT NULL)))
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
-- Name: COLUMN decision.assessment_id; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.decision.assessment_id IS 'The current assessment the decision relied on, if any.';


--
-- Name: COLUMN decision.recommendation; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.decision.recommendation IS 'That assessment''s recommendation: approve, reject or refer.';


--
-- Name: COLUMN decision.overrides_recommendation; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.decision.overrides_recommendation IS 'The outcome differs from the recommendation (approve means approved, reject rejected, refer manual_review).';


--
-- Name: COLUMN decision.decided_by_kind; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.decision.decided_by_kind IS 'The deciding actor''s kind: agent, human or service.';


--
-- Name: COLUMN decision.model_name; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.decision.model_name IS 'For an agent: the model that decided, with model_version.';


--
-- Name: COLUMN decision.confidence; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.decision.confidence IS 'For an agent: its confidence in the decision, in [0, 1].';


--
-- Name: COLUMN decision.requires_confirmation; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.decision.requires_confirmation IS 'An approval that waits for a second reviewer (four-eyes): above the product''s agent limit, or overriding a reject.';


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
    'reasons', (select coalesce(jsonb_agg(jsonb_build_object(
                                  'code', c.code,
                                  'text', case when r.requires_text then d.reason else r.notice_text end)
                                order by c.n), '[]')
                  from unnest(d.reason_codes) with ordinality as c(code, n)
                  join lending_private.adverse_reason as r on r.code = c.code),
    'assessment_id', d.assessment_id,
    'recommendation', d.recommendation,
    'overrides_recommendation', d.overrides_recommendation,
    'override_reason', d.override_reason,
    'decided_by', d.decided_by,
    'decided_by_kind', d.decided_by_kind,
    'model_name', d.model_name,
    'model_version', d.model_version,
    'confidence', d.confidence::text,
    'requires_confirmation', d.requires_confirmation,
    'confirmation', (select jsonb_build_object('confirmed', c.confirmed, 'reason', c.reason,
                                               'confirmed_by', c.confirmed_by,
                                               'confirmed_at', lending_private.json_time(c.confirmed_at))
                       from lending_private.confirmation as c where c.decision_id = d.decision_id),
    'request_id', d.request_id,
    'decided_at', lending_private.json_time(d.decided_at));
end;
$$;


--
-- Name: FUNCTION decision_json(d lending_private.decision); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.decision_json(d lending_private.decision) IS 'A decision as the API shows it; `approved` is true, false, or null for manual_review.';


--
-- Name: decision_reasons_error(text, text[]); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.decision_reasons_error(outcome text, reason_codes text[]) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_unknown text;
begin
  if cardinality(reason_codes) = 0 then
    -- The common decision, an approval, names none: nothing to look up.
    return case when outcome = 'rejected'
                then 'a rejection needs 1-4 reason codes, most important first (other, with the reason as its text, when none fits)' end;
  end if;
  select string_agg(c, ', ') into v_unknown
    from unnest(reason_codes) as c
   where not exists (select from lending_private.adverse_reason as r where r.code = c);
  return case
    when v_unknown is not null
      then format('must be reason codes of lending.list_reason_codes; unknown: %s', v_unknown)
    when cardinality(reason_codes) <> cardinality(array(select distinct unnest(reason_codes)))
      then 'must not repeat a code'
    when outcome = 'rejected' and coalesce(cardinality(reason_codes), 0) not between 1 and 4
      then 'a rejection needs 1-4 reason codes, most important first (other, with the reason as its text, when none fits)'
    when outcome = 'manual_review' and cardinality(reason_codes) > 4 then 'must hold at most 4 codes'
    when outcome = 'approved' and cardinality(reason_codes) > 0
      then 'an approval takes no adverse-action reason codes'
  end;
end;
$$;


--
-- Name: FUNCTION decision_reasons_error(outcome text, reason_codes text[]); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.decision_reasons_error(outcome text, reason_codes text[]) IS 'What is wrong with a decision''s reason codes for its outcome, or null.';


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
-- Name: evaluate_policy(jsonb, bigint, integer); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.evaluate_policy(facts jsonb, product_id bigint, version integer) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_product lending_private.product_version;
  v_code text;
  v_amount numeric := (facts ->> 'amount')::numeric;
  v_term integer := (facts ->> 'term_months')::integer;
  v_income numeric := (facts ->> 'annual_income')::numeric;
  v_debt numeric := (facts ->> 'monthly_debt_payments')::numeric;
  v_missing text[];
  v_score integer;
  v_grade text;
  v_rate numeric;
  v_installment numeric;
  v_offer jsonb;
  v_rules jsonb;
  v_recommendation text;
  v_reasons text[];
begin
  select * into strict v_product from lending_private.product_version as v
   where v.product_id = evaluate_policy.product_id and v.version = evaluate_policy.version;
  select p.product_code into strict v_code from lending_private.product as p
   where p.product_id = evaluate_policy.product_id;

  v_missing := lending_private.missing_facts(facts, v_product.product_id, v_product.version);

  v_score := lending_private.risk_score((facts ->> 'credit_score')::integer, (facts ->> 'income_verified')::boolean,
                                        (facts ->> 'months_employed')::integer);
  select g.grade into v_grade from lending_private.risk_grade as g
   where g.min_score <= v_score order by g.min_score desc limit 1;
  select r.annual_rate into v_rate from lending_private.product_rate as r
   where r.product_id = v_product.product_id and r.version = v_product.version and r.risk_grade = v_grade;

  if v_rate is not null and v_term between v_product.min_term_months and v_product.max_term_months
     and v_amount between v_product.min_amount and v_product.max_amount then
    v_offer := lending_private.offer_terms(v_product, v_code, v_amount, facts ->> 'currency', v_term, v_grade, v_rate);
    v_installment := (v_offer ->> 'installment')::numeric;
  end if;

  with measured as (
    -- The product's limits, always first.
    select 0 as sort, 1 as position, 'product' as source, 'amount' as measure, '>=' as comparison,
           v_product.min_amount as threshold, v_amount as value, null::text as unmeasured,
           'amount_below_product_minimum' as reason_code, 'reject' as on_failure
    union all
    select 0, 2, 'product', 'amount', '<=', v_product.max_amount, v_amount, null,
           'amount_exceeds_product_limit', 'reject'
    union all
    select 0, 3, 'product', 'term_months', '>=', v_product.min_term_months, v_term,
           case when v_term is null then 'missing' end, 'term_outside_product_limits', 'reject'
    union all
    select 0, 4, 'product', 'term_months', '<=', v_product.max_term_months, v_term,
           case when v_term is null then 'missing' end, 'term_outside_product_limits', 'reject'
    union all
    select 1, r.position, 'policy', r.measure, r.comparison, r.threshold, m.value,
           case when exists (select from unnest(pm.needs_facts) as f(fact) where f.fact = any (v_missing))
                  then 'missing'
                when m.value is null then m.unmeasured end,
           r.reason_code, r.on_failure
      from lending_private.policy_rule as r
      join lending_private.policy_measure as pm on pm.measure = r.measure
      cross join lateral (select
          case r.measure
            when 'credit_score' then (facts ->> 'credit_score')::numeric
            when 'debt_to_income' then case when v_income > 0 and v_installment is not null
                                            then round((v_debt + v_installment) / (v_income / 12), 4) end
            when 'loan_to_income' then case when v_income > 0 then round(v_amount / v_income, 4) end
            when 'months_employed' then (facts ->> 'months_employed')::numeric
            when 'unverified_amount' then case when (facts ->> 'income_verified')::boolean then 0 else v_amount end
            when 'identity_verified' then case when (facts ->> 'identity_verified')::boolean then 1 else 0 end
          end as value,
          case when r.measure in ('debt_to_income', 'loan_to_income') and v_income = 0 then 'fail'
               else 'skipped' end as unmeasured) as m
     where r.product_id = v_product.product_id and r.version = v_product.version
  ),
  evaluated as (
    select m.*, coalesce(m.unmeasured, case
             when m.comparison = '>=' and m.value >= m.threshold then 'pass'
             when m.comparison = '<=' and m.value <= m.threshold then 'pass'
             else 'fail' end) as result
      from measured as m
  )
  select jsonb_agg(jsonb_build_object(
           'source', e.source, 'position', e.position, 'measure', e.measure, 'comparison', e.comparison,
           'threshold', e.threshold::text, 'value', e.value::text, 'result', e.result,
           'reason_code', e.reason_code, 'on_failure', e.on_failure) order by e.sort, e.position),
         case when bool_or(e.result = 'fail' and e.on_failure = 'reject') then 'reject'
              when bool_or(e.result in ('fail', 'missing')) or cardinality(v_missing) > 0 then 'refer'
              else 'approve' end
    into v_rules, v_recommendation
    from evaluated as e;

  select array(
    select c.code
      from (select 'credit_application_incomplete' as code, 0 as rank
             where v_recommendation = 'refer' and cardinality(v_missing) > 0
            union all
            select r.rule ->> 'reason_code', case when r.rule ->> 'on_failure' = 'reject' then 1000 else 2000 end
                                             + r.n
              from jsonb_array_elements(v_rules) with ordinality as r(rule, n)
             where r.rule ->> 'result' = 'fail') as c
     group by c.code
     order by min(c.rank)
     limit 4) into v_reasons;

  return jsonb_build_object(
    'product_code', v_code,
    'product_version', v_product.version,
    'rules', v_rules,
    'missing_facts', to_jsonb(v_missing),
    'score', v_score,
    'risk_grade', v_grade,
    'recommendation', v_recommendation,
    'reason_codes', to_jsonb(v_reasons),
    'offer', v_offer);
end;
$$;


--
-- Name: FUNCTION evaluate_policy(facts jsonb, product_id bigint, version integer); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.evaluate_policy(facts jsonb, product_id bigint, version integer) IS 'Assesses facts (lending_private.application_facts) under a product version: rules, score, grade, recommendation, reasons and offer. Reads no clock and no randomness: the same inputs give the same result.';


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
-- Name: fail_offer_not_found(bigint); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.fail_offer_not_found(application_id bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform lending_private.fail('not_found', format('Application %s has no offer', application_id),
                               jsonb_build_object('resource', 'offer', 'application_id', application_id));
end;
$$;


--
-- Name: FUNCTION fail_offer_not_found(application_id bigint); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.fail_offer_not_found(application_id bigint) IS 'Raises not_found for the offer of an application.';


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
-- Name: id_cursor(bigint); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.id_cursor(id bigint) RETURNS text
    LANGUAGE sql IMMUTABLE
    BEGIN ATOMIC
 SELECT encode(((id)::text)::bytea, 'base64'::text) AS encode;
END;


--
-- Name: FUNCTION id_cursor(id bigint); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.id_cursor(id bigint) IS 'The cursor after the row with this id (base64 of its digits).';


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
-- Name: insert_product_version(bigint, integer, jsonb); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.insert_product_version(product_id bigint, version integer, d jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  insert into lending_private.product_version (
    product_id, version, name, currency, min_amount, max_amount, min_term_months, max_term_months, amortization,
    origination_fee_percent, origination_fee_cap, late_fee_flat, late_fee_percent, grace_days, write_off_days,
    offer_valid_days, agent_approval_limit, requires_assessment, created_by)
  values (
    product_id, version, d ->> 'name', d ->> 'currency', (d ->> 'min_amount')::numeric, (d ->> 'max_amount')::numeric,
    (d ->> 'min_term_months')::integer, (d ->> 'max_term_months')::integer, d ->> 'amortization',
    (d ->> 'origination_fee_percent')::numeric, (d ->> 'origination_fee_cap')::numeric,
    (d ->> 'late_fee_flat')::numeric, (d ->> 'late_fee_percent')::numeric, (d ->> 'grace_days')::integer,
    (d ->> 'write_off_days')::integer, (d ->> 'offer_valid_days')::integer,
    (d ->> 'agent_approval_limit')::numeric, (d ->> 'requires_assessment')::boolean,
    lending_private.current_actor());

  insert into lending_private.product_rate (product_id, version, risk_grade, annual_rate)
  select insert_product_version.product_id, insert_product_version.version, r.key, (r.value #>> '{}')::numeric
    from jsonb_each(d -> 'rates') as r;

  insert into lending_private.policy_rule (product_id, version, position, measure, comparison, threshold, reason_code,
                                           on_failure)
  select insert_product_version.product_id, insert_product_version.version, r.position, r.rule ->> 'measure',
         r.rule ->> 'comparison', (r.rule ->> 'threshold')::numeric, r.rule ->> 'reason_code', r.rule ->> 'on_failure'
    from jsonb_array_elements(d -> 'rules') with ordinality as r(rule, position);
end;
$$;


--
-- Name: FUNCTION insert_product_version(product_id bigint, version integer, d jsonb); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.insert_product_version(product_id bigint, version integer, d jsonb) IS 'Writes a product version, its rates and its rules from a valid product document.';


--
-- Name: is_date(text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.is_date(value text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    AS $_$
begin
  if value !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
    return false;
  end if;
  perform value::date;
  return true;
exception
  when datetime_field_overflow or invalid_datetime_format then
    return false;
end;
$_$;


--
-- Name: FUNCTION is_date(value text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.is_date(value text) IS 'Whether YYYY-MM-DD text names a real day.';


--
-- Name: json_time(timestamp with time zone); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.json_time(at timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE
    BEGIN ATOMIC
 SELECT to_char((at AT TIME ZONE 'UTC'::text), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'::text) AS to_char;
END;


--
-- Name: json_value_error(jsonb, text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.json_value_error(value jsonb, kind text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
begin
  if value is null or jsonb_typeof(value) = 'null' then
    return null;
  end if;
  return case kind
    when 'text' then case when jsonb_typeof(value) <> 'string' then 'must be a string' end
    when 'boolean' then case when jsonb_typeof(value) <> 'boolean' then 'must be true or false' end
    when 'integer' then case when jsonb_typeof(value) <> 'number' or value::text !~ '^-?[0-9]{1,9}$'
                               then 'must be a whole number' end
    when 'number' then case
      when jsonb_typeof(value) = 'number' and value::text !~* 'e' then null
      when jsonb_typeof(value) = 'string' and value #>> '{}' ~ '^[0-9]{1,15}(\.[0-9]{1,15})?$' then null
      else 'must be ASCII digits with an optional point and no exponent, as a JSON number or a string' end
    when 'date' then case
      when jsonb_typeof(value) <> 'string' or value #>> '{}' !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
        or not lending_private.is_date(value #>> '{}') then 'must be a date written YYYY-MM-DD' end
    when 'object' then case when jsonb_typeof(value) <> 'object' then 'must be an object' end
    when 'array' then case when jsonb_typeof(value) <> 'array' then 'must be an array' end
  end;
end;
$_$;


--
-- Name: FUNCTION json_value_error(value jsonb, kind text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.json_value_error(value jsonb, kind text) IS 'What is wrong with a JSON value as a text, boolean, integer, number (money and rates), date, object or array, or null.';


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
-- Name: make_offer(lending_private.decision); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.make_offer(decision lending_private.decision) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_application lending_private.application;
  v_offer jsonb;
  v_product lending_private.product;
  v_version lending_private.product_version;
  v_rate numeric;
begin
  select * into strict v_application from lending_private.application as a
   where a.application_id = decision.application_id;
  -- An assessment that could make no offer (no grade, or a term outside the product) kept a null one; an approval
  -- overriding it takes the product's terms as a decision without an assessment does.
  select nullif(s.offer, 'null') into v_offer from lending_private.assessment as s
   where s.assessment_id = decision.assessment_id;
  if v_offer is null then
    select * into strict v_product from lending_private.product as p where p.product_code = v_application.product_code;
    select * into strict v_version from lending_private.product_version as v
     where v.product_id = v_product.product_id and v.version = v_product.current_version;
    select r.annual_rate into strict v_rate from lending_private.product_rate as r
     where r.product_id = v_version.product_id and r.version = v_version.version and r.risk_grade = 'E';
    v_offer := lending_private.offer_terms(v_version, v_application.product_code, v_application.amount,
                                           v_application.currency, v_application.term_months, null, v_rate);
  end if;

  insert into lending_private.offer (
    application_id, decision_id, assessment_id, product_code, product_version, amount, currency, risk_grade,
    annual_rate, term_months, amortization, installment, total_interest, origination_fee, total_repayable, apr,
    expires_at)
  values (
    decision.application_id, decision.decision_id, decision.assessment_id, v_offer ->> 'product_code',
    (v_offer ->> 'product_version')::integer, (v_offer ->> 'amount')::numeric, v_offer ->> 'currency',
    v_offer ->> 'risk_grade', (v_offer ->> 'annual_rate')::numeric, (v_offer ->> 'term_months')::integer,
    v_offer ->> 'amortization', (v_offer ->> 'installment')::numeric, (v_offer ->> 'total_interest')::numeric,
    (v_offer ->> 'origination_fee')::numeric, (v_offer ->> 'total_repayable')::numeric,
    (v_offer ->> 'apr')::numeric, now() + make_interval(days => (v_offer ->> 'valid_days')::integer));
end;
$$;


--
-- Name: FUNCTION make_offer(decision lending_private.decision); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.make_offer(decision lending_private.decision) IS 'Fixes the offer of an approval from its assessment, or from the product''s terms at grade E without one.';


--
-- Name: missing_facts(jsonb, bigint, integer); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.missing_facts(facts jsonb, product_id bigint, version integer) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return array(
    select distinct f.fact
      from (select unnest(array['term_months', 'credit_score', 'date_of_birth']) as fact
            union all
            select unnest(m.needs_facts)
              from lending_private.policy_rule as r
              join lending_private.policy_measure as m on m.measure = r.measure
             where r.product_id = missing_facts.product_id and r.version = missing_facts.version) as f
     where coalesce(facts -> f.fact, 'null') = 'null'
     order by f.fact);
end;
$$;


--
-- Name: FUNCTION missing_facts(facts jsonb, product_id bigint, version integer); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.missing_facts(facts jsonb, product_id bigint, version integer) IS 'The facts an assessment under a product version needs and the given facts lack, by name.';


--
-- Name: money_error(numeric, numeric, numeric); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.money_error(value numeric, minimum numeric, maximum numeric) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return case
    when value = 'NaN' or value in ('Infinity', '-Infinity') then 'must be a finite number'
    when value < minimum then 'must be at least ' || minimum::text
    when value > maximum then 'must be at most ' || maximum::text
    when scale(value) > 2 then 'must have at most 2 decimal places'
  end;
end;
$$;


--
-- Name: FUNCTION money_error(value numeric, minimum numeric, maximum numeric); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.money_error(value numeric, minimum numeric, maximum numeric) IS 'What is wrong with an amount of money (finite, within [minimum, maximum], at most 2 decimals), or null.';


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
-- Name: number_error(numeric, numeric, numeric, integer); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.number_error(value numeric, minimum numeric, maximum numeric, decimals integer DEFAULT 0) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return case
    when value = 'NaN' or value in ('Infinity', '-Infinity') then 'must be a finite number'
    when value < minimum or value > maximum then format('must be between %s and %s', minimum, maximum)
    when scale(value) > decimals then
      case decimals when 0 then 'must be a whole number' else format('must have at most %s decimal places', decimals) end
  end;
end;
$$;


--
-- Name: FUNCTION number_error(value numeric, minimum numeric, maximum numeric, decimals integer); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.number_error(value numeric, minimum numeric, maximum numeric, decimals integer) IS 'What is wrong with a number (finite, within [minimum, maximum], at most `decimals` decimals), or null.';


--
-- Name: offer; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.offer (
    offer_id bigint NOT NULL,
    application_id bigint NOT NULL,
    decision_id bigint NOT NULL,
    assessment_id bigint,
    product_code text NOT NULL,
    product_version integer NOT NULL,
    amount numeric NOT NULL,
    currency text NOT NULL,
    risk_grade text,
    annual_rate numeric NOT NULL,
    term_months integer,
    amortization text NOT NULL,
    installment numeric,
    total_interest numeric,
    origination_fee numeric NOT NULL,
    total_repayable numeric,
    apr numeric,
    offered_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT offer_expires_after_it_is_made CHECK ((expires_at > offered_at))
);


--
-- Name: TABLE offer; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.offer IS 'Offers fixed by approvals. Without a term (the tutorial''s flow) installment, totals and APR are unknown: null.';


--
-- Name: COLUMN offer.risk_grade; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.offer.risk_grade IS 'The assessment''s grade; null without an assessment, when the offer takes the product''s grade E rate.';


--
-- Name: offer_json(lending_private.offer); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.offer_json(o lending_private.offer) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return jsonb_build_object(
    'offer_id', o.offer_id,
    'decision_id', o.decision_id,
    'assessment_id', o.assessment_id,
    'product_code', o.product_code,
    'product_version', o.product_version,
    'amount', round(o.amount, 2)::text,
    'currency', o.currency,
    'risk_grade', o.risk_grade,
    'annual_rate', o.annual_rate::text,
    'term_months', o.term_months,
    'amortization', o.amortization,
    'installment', o.installment::text,
    'total_interest', o.total_interest::text,
    'origination_fee', o.origination_fee::text,
    'total_repayable', o.total_repayable::text,
    'apr', o.apr::text,
    'offered_at', lending_private.json_time(o.offered_at),
    'expires_at', lending_private.json_time(o.expires_at),
    'response', (select jsonb_build_object('response', r.response, 'reason', r.reason, 'recorded_by', r.recorded_by,
                                           'recorded_at', lending_private.json_time(r.recorded_at))
                   from lending_private.offer_response as r where r.offer_id = o.offer_id));
end;
$$;


--
-- Name: FUNCTION offer_json(o lending_private.offer); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.offer_json(o lending_private.offer) IS 'An offer as the API shows it: its fixed terms, when it expires, and the borrower''s answer if any.';


--
-- Name: product_version; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.product_version (
    product_id bigint NOT NULL,
    version integer NOT NULL,
    name text NOT NULL,
    currency text,
    min_amount numeric NOT NULL,
    max_amount numeric NOT NULL,
    min_term_months integer NOT NULL,
    max_term_months integer NOT NULL,
    amortization text NOT NULL,
    repayment_frequency text DEFAULT 'monthly'::text NOT NULL,
    origination_fee_percent numeric DEFAULT 0 NOT NULL,
    origination_fee_cap numeric,
    late_fee_flat numeric DEFAULT 0 NOT NULL,
    late_fee_percent numeric DEFAULT 0 NOT NULL,
    grace_days integer NOT NULL,
    write_off_days integer NOT NULL,
    offer_valid_days integer NOT NULL,
    agent_approval_limit numeric NOT NULL,
    requires_assessment boolean NOT NULL,
    created_by text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT product_amortization_is_known CHECK ((amortization = ANY (ARRAY['annuity'::text, 'equal_principal'::text]))),
    CONSTRAINT product_name_is_valid CHECK ((lending_private.text_error(name, 200) IS NULL)),
    CONSTRAINT product_repays_monthly CHECK ((repayment_frequency = 'monthly'::text)),
    CONSTRAINT product_version_is_positive CHECK ((version >= 1))
);


--
-- Name: TABLE product_version; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.product_version IS 'The terms of each version of a product; never changed: a change is a new version.';


--
-- Name: COLUMN product_version.currency; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.product_version.currency IS 'The currency it lends in; null lends in the application''s currency (the default product, which every application filed before products existed uses).';


--
-- Name: COLUMN product_version.origination_fee_percent; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.product_version.origination_fee_percent IS 'Fee taken from the principal at disbursement, in percent of it, at most origination_fee_cap.';


--
-- Name: COLUMN product_version.late_fee_flat; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.product_version.late_fee_flat IS 'A late installment''s fee is the larger of late_fee_flat and late_fee_percent of the installment (servicing).';


--
-- Name: COLUMN product_version.grace_days; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.product_version.grace_days IS 'Days after a due date before a payment is late.';


--
-- Name: COLUMN product_version.write_off_days; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.product_version.write_off_days IS 'Days past due at which a loan is written off.';


--
-- Name: COLUMN product_version.agent_approval_limit; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.product_version.agent_approval_limit IS 'Approvals of larger amounts need a second person (four-eyes): the application waits in pending_confirmation.';


--
-- Name: offer_terms(lending_private.product_version, text, numeric, text, integer, text, numeric); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.offer_terms(product lending_private.product_version, product_code text, amount numeric, currency text, term_months integer, risk_grade text, annual_rate numeric) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_fee numeric := least(round(amount * product.origination_fee_percent / 100, 2),
                         coalesce(product.origination_fee_cap, amount));
  v_installment numeric;
  v_total_interest numeric;
  v_total_paid numeric;
  v_payments numeric[];
begin
  if term_months is not null then
    select (array_agg(s.payment order by s.period))[1], sum(s.interest), sum(s.payment),
           array_agg(s.payment order by s.period)
      into v_installment, v_total_interest, v_total_paid, v_payments
      from lending_private.repayment_schedule(amount, annual_rate, term_months, product.amortization) as s;
  end if;
  return jsonb_build_object(
    'product_code', product_code,
    'product_version', product.version,
    'amount', round(amount, 2)::text,
    'currency', currency,
    'risk_grade', risk_grade,
    'annual_rate', annual_rate::text,
    'term_months', term_months,
    'amortization', product.amortization,
    'installment', v_installment::text,
    'total_interest', v_total_interest::text,
    'origination_fee', v_fee::text,
    'total_repayable', v_total_paid::text,
    'apr', case when v_payments is not null and amount > v_fee
                then lending_private.annual_percentage_rate(amount - v_fee, v_payments)::text end,
    'valid_days', product.offer_valid_days);
end;
$$;


--
-- Name: FUNCTION offer_terms(product lending_private.product_version, product_code text, amount numeric, currency text, term_months integer, risk_grade text, annual_rate numeric); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.offer_terms(product lending_private.product_version, product_code text, amount numeric, currency text, term_months integer, risk_grade text, annual_rate numeric) IS 'The terms of an offer under a product version: installment, totals, fee and APR (null without a term).';


--
-- Name: product_errors(jsonb); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.product_errors(d jsonb) RETURNS jsonb[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_kinds constant jsonb := '{
    "name": "text", "currency": "text", "min_amount": "number", "max_amount": "number",
    "min_term_months": "integer", "max_term_months": "integer", "amortization": "text",
    "origination_fee_percent": "number", "origination_fee_cap": "number", "late_fee_flat": "number",
    "late_fee_percent": "number", "grace_days": "integer", "write_off_days": "integer",
    "offer_valid_days": "integer", "agent_approval_limit": "number", "requires_assessment": "boolean",
    "rates": "object", "rules": "array"}';
  v_errors jsonb[];
  v_rule jsonb;
  v_index integer := 0;
  v_grades text[] := array(select g.grade from lending_private.risk_grade as g order by g.grade);
  v_required constant text[] := array['name', 'min_amount', 'max_amount', 'min_term_months', 'max_term_months',
                                      'amortization', 'origination_fee_percent', 'late_fee_flat', 'late_fee_percent',
                                      'grace_days', 'write_off_days', 'offer_valid_days', 'agent_approval_limit',
                                      'requires_assessment'];
begin
  select array_agg(lending_private.field_error(k.key, coalesce(
           case when k.key = any (v_required) and coalesce(jsonb_typeof(d -> k.key), 'null') = 'null'
                then 'is required' end,
           lending_private.json_value_error(d -> k.key, k.kind))) order by k.key)
    into v_errors
    from jsonb_each_text(v_kinds) as k(key, kind);
  if num_nonnulls(variadic v_errors) > 0 then
    return v_errors;
  end if;

  v_errors := array[
    lending_private.field_error('name', lending_private.text_error(d ->> 'name', 200, true)),
    lending_private.field_error('currency', case when d ->> 'currency' is not null and not exists (
        select from lending_private.currency as c where c.code = d ->> 'currency')
      then lending_private.currency_error(d ->> 'currency') end),
    lending_private.field_error('min_amount', lending_private.money_error((d ->> 'min_amount')::numeric, 0.01, 10000000)),
    lending_private.field_error('max_amount', coalesce(
      lending_private.money_error((d ->> 'max_amount')::numeric, 0.01, 10000000),
      case when (d ->> 'max_amount')::numeric < (d ->> 'min_amount')::numeric then 'must be at least min_amount' end)),
    lending_private.field_error('min_term_months', lending_private.term_months_error((d ->> 'min_term_months')::integer)),
    lending_private.field_error('max_term_months', coalesce(
      lending_private.term_months_error((d ->> 'max_term_months')::integer),
      case when (d ->> 'max_term_months')::integer < (d ->> 'min_term_months')::integer
           then 'must be at least min_term_months' end)),
    lending_private.field_error('amortization', case when d ->> 'amortization' not in ('annuity', 'equal_principal')
                                                     then 'must be annuity or equal_principal' end),
    lending_private.field_error('origination_fee_percent',
      lending_private.number_error((d ->> 'origination_fee_percent')::numeric, 0, 50, 4)),
    lending_private.field_error('origination_fee_cap',
      lending_private.money_error((d ->> 'origination_fee_cap')::numeric, 0, 10000000)),
    lending_private.field_error('late_fee_flat', lending_private.money_error((d ->> 'late_fee_flat')::numeric, 0, 100000)),
    lending_private.field_error('late_fee_percent',
      lending_private.number_error((d ->> 'late_fee_percent')::numeric, 0, 100, 4)),
    lending_private.field_error('grace_days', lending_private.number_error((d ->> 'grace_days')::numeric, 0, 90)),
    lending_private.field_error('write_off_days',
      lending_private.number_error((d ->> 'write_off_days')::numeric, 30, 3650)),
    lending_private.field_error('offer_valid_days',
      lending_private.number_error((d ->> 'offer_valid_days')::numeric, 1, 365)),
    lending_private.field_error('agent_approval_limit',
      lending_private.money_error((d ->> 'agent_approval_limit')::numeric, 0, 10000000))];

  if d ? 'rates' then
    v_errors := v_errors || lending_private.field_error('rates', case
      when jsonb_typeof(d -> 'rates') is distinct from 'object' then 'is required'
      when (select array_agg(k order by k) from jsonb_object_keys(d -> 'rates') as k) is distinct from v_grades
        then format('must give a rate for each risk grade, %s, and no other', array_to_string(v_grades, ', '))
      when exists (select from jsonb_each(d -> 'rates') as r
                    where lending_private.json_value_error(r.value, 'number') is not null or r.value = 'null')
        then 'each rate must be a percent written as a number, such as 7.99'
      else (select min(lending_private.number_error((r.value #>> '{}')::numeric, 0, 100, 4))
              from jsonb_each(d -> 'rates') as r) end);
  end if;

  if d ? 'rules' and jsonb_typeof(d -> 'rules') is distinct from 'array' then
    v_errors := v_errors || lending_private.field_error('rules', 'is required: an array of rules, [] for none');
  elsif d ? 'rules' and jsonb_array_length(d -> 'rules') > 50 then
    -- Refused before any rule is read: a body of thousands would otherwise be checked rule by rule.
    v_errors := v_errors || lending_private.field_error('rules', 'must hold at most 50 rules');
  elsif d ? 'rules' then
    for v_rule in select r from jsonb_array_elements(d -> 'rules') as r loop
      v_errors := v_errors || case
        when jsonb_typeof(v_rule) <> 'object'
          or exists (select from jsonb_object_keys(v_rule) as k
                      where k not in ('measure', 'comparison', 'threshold', 'reason_code', 'on_failure'))
          then array[lending_private.field_error(format('rules[%s]', v_index),
                 'must be an object of measure, comparison, threshold, reason_code and on_failure')]
        else array[
          lending_private.field_error(format('rules[%s].measure', v_index), case
            when not exists (select from lending_private.policy_measure as m where m.measure = v_rule ->> 'measure')
              then format('must be one of %s', (select string_agg(m.measure, ', ' order by m.measure)
                                                  from lending_private.policy_measure as m)) end),
          lending_private.field_error(format('rules[%s].comparison', v_index),
            case when v_rule ->> 'comparison' is null or v_rule ->> 'comparison' not in ('>=', '<=')
                 then 'must be >= or <=' end),
          lending_private.field_error(format('rules[%s].threshold', v_index), case
            when v_rule -> 'threshold' is null or v_rule -> 'threshold' = 'null' then 'is required'
            else coalesce(lending_private.json_value_error(v_rule -> 'threshold', 'number'),
                          lending_private.number_error((v_rule ->> 'threshold')::numeric, 0, 100000000, 4)) end),
          lending_private.field_error(format('rules[%s].reason_code', v_index), case
            when v_rule ->> 'reason_code' = 'other' then 'must be a specific reason, not other'
            when not exists (select from lending_private.adverse_reason as r where r.code = v_rule ->> 'reason_code')
              then 'must be one of the reason codes (lending.list_reason_codes)' end),
          lending_private.field_error(format('rules[%s].on_failure', v_index),
            case when v_rule ->> 'on_failure' is null or v_rule ->> 'on_failure' not in ('reject', 'refer')
                 then 'must be reject or refer' end)]
      end;
      v_index := v_index + 1;
    end loop;
  end if;
  return v_errors;
end;
$$;


--
-- Name: FUNCTION product_errors(d jsonb); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.product_errors(d jsonb) IS 'Field errors of a product document (its terms, and its rates and rules when it has them); nulls where fine.';


--
-- Name: product_json(bigint, integer); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.product_json(product_id bigint, version integer) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return (select jsonb_build_object(
      'product_code', p.product_code,
      'version', v.version,
      'current_version', p.current_version,
      'name', v.name,
      'currency', v.currency,
      'min_amount', v.min_amount::text,
      'max_amount', v.max_amount::text,
      'min_term_months', v.min_term_months,
      'max_term_months', v.max_term_months,
      'amortization', v.amortization,
      'repayment_frequency', v.repayment_frequency,
      'rates', (select jsonb_object_agg(r.risk_grade, r.annual_rate::text order by r.risk_grade)
                  from lending_private.product_rate as r
                 where r.product_id = v.product_id and r.version = v.version),
      'origination_fee_percent', v.origination_fee_percent::text,
      'origination_fee_cap', v.origination_fee_cap::text,
      'late_fee_flat', v.late_fee_flat::text,
      'late_fee_percent', v.late_fee_percent::text,
      'grace_days', v.grace_days,
      'write_off_days', v.write_off_days,
      'offer_valid_days', v.offer_valid_days,
      'agent_approval_limit', v.agent_approval_limit::text,
      'requires_assessment', v.requires_assessment,
      'rules', (select coalesce(jsonb_agg(jsonb_build_object(
                        'position', r.position, 'measure', r.measure, 'comparison', r.comparison,
                        'threshold', r.threshold::text, 'reason_code', r.reason_code, 'on_failure', r.on_failure)
                        order by r.position), '[]')
                  from lending_private.policy_rule as r
                 where r.product_id = v.product_id and r.version = v.version),
      'created_by', v.created_by,
      'created_at', lending_private.json_time(v.created_at))
    from lending_private.product_version as v
    join lending_private.product as p on p.product_id = v.product_id
   where v.product_id = product_json.product_id and v.version = product_json.version);
end;
$$;


--
-- Name: FUNCTION product_json(product_id bigint, version integer); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.product_json(product_id bigint, version integer) IS 'A product version with its rates by grade and its policy rules, as the API shows it.';


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
    v_event_type := case
      when new.status = 'withdrawn' then 'application.withdrawn'
      when old.status = 'pending_confirmation' and new.status = 'approved' then 'application.decision_confirmed'
      when old.status = 'pending_confirmation' and new.status = 'manual_review' then 'application.decision_declined'
      when new.status in ('offer_accepted', 'offer_declined', 'offer_expired') then 'application.' || new.status
      else 'application.decided' end;
    if v_event_type in ('application.decided', 'application.decision_confirmed', 'application.decision_declined') then
      v_payload := v_payload || jsonb_build_object(
        'decision', (select jsonb_build_object('decision_id', d.decision_id, 'outcome', d.outcome,
                                               'reason_codes', to_jsonb(d.reason_codes),
                                               'requires_confirmation', d.requires_confirmation)
                       from lending_private.decision as d
                      where d.application_id = new.application_id
                        and d.outcome = case when new.status = 'pending_confirmation'
                                               or old.status = 'pending_confirmation' then 'approved'
                                             else new.status end
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
-- Name: record_row_event(); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.record_row_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
declare
  v_row jsonb := to_jsonb(new);
  v_payload jsonb := '{}';
begin
  for i in 1 .. tg_nargs - 1 loop
    v_payload := v_payload || jsonb_build_object(tg_argv[i], v_row -> tg_argv[i]);
  end loop;
  insert into lending_private.event (application_id, event_type, payload, actor, request_id)
  values (new.application_id, tg_argv[0], v_payload, lending_private.current_actor(),
          lending_private.current_request_id());
  if exists (select from lending_private.event_watcher) then
    perform pg_notify('lending_events', '');
  end if;
  return null;
end;
$$;


--
-- Name: FUNCTION record_row_event(); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.record_row_event() IS 'Trigger: appends the event named by its first argument, with the row''s columns the others name as its payload.';


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
-- Name: rejection_of(lending_private.application); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.rejection_of(application lending_private.application) RETURNS lending_private.decision
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_decision lending_private.decision;
begin
  if application.status <> 'rejected' then
    perform lending_private.fail(
      'no_adverse_action',
      format('Application %s is %s: only a rejected application has an adverse action notice',
             application.application_id, application.status),
      jsonb_build_object('application_id', application.application_id, 'current_status', application.status));
  end if;
  select * into strict v_decision from lending_private.decision as d
   where d.application_id = application.application_id and d.outcome = 'rejected'
   order by d.decision_id desc limit 1;
  return v_decision;
end;
$$;


--
-- Name: FUNCTION rejection_of(application lending_private.application); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.rejection_of(application lending_private.application) IS 'The latest rejection of a rejected application; raises no_adverse_action otherwise.';


--
-- Name: repayment_schedule(numeric, numeric, integer, text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.repayment_schedule(principal numeric, annual_rate numeric, term_months integer, amortization text) RETURNS TABLE(period integer, payment numeric, interest numeric, principal_paid numeric, balance numeric)
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_rate numeric := trim_scale(annual_rate);
  v_remaining numeric := round(principal, 2);
  v_level_principal numeric;  -- equal_principal: the principal of every period but the last
  v_level_payment numeric;    -- annuity: the payment of every period but the last
  v_grown numeric := 1;       -- (1200 + r)^n, so that (1 + i)^n = v_grown / v_flat
  v_flat numeric := 1;        -- 1200^n
  v_grown_base numeric;
  v_flat_base numeric := 1200;
  v_exponent integer := term_months;
begin
  -- An internal function: its callers check what users send, so a violation here is a bug, not a user's problem.
  if principal <= 0 or principal <> round(principal, 2) then
    raise exception 'repayment_schedule: principal must be a positive amount in cents, not %', principal;
  end if;
  -- The exact factor has term_months times as many decimals as the rate: ten is more than any rate is quoted with,
  -- and keeps the factor well inside numeric's range.
  if v_rate < 0 or scale(v_rate) > 10 then
    raise exception 'repayment_schedule: annual_rate must be a percent >= 0 with at most 10 decimals, not %',
      annual_rate;
  end if;
  if term_months not between 1 and 480 then
    raise exception 'repayment_schedule: term_months must be between 1 and 480, not %', term_months;
  end if;
  if amortization not in ('annuity', 'equal_principal') then
    raise exception 'repayment_schedule: amortization must be annuity or equal_principal, not %', amortization;
  end if;

  -- principal / n to the cent (in cents: 100 * principal / n).
  v_level_principal := div(200 * v_remaining + term_months, 2 * term_months) * 0.01;

  if amortization = 'annuity' and v_rate = 0 then
    v_level_payment := v_level_principal;
  elsif amortization = 'annuity' then
    -- Exponentiation by squaring: about 2 * log2(n) exact multiplications.
    v_grown_base := 1200 + v_rate;
    while v_exponent > 0 loop
      if v_exponent % 2 = 1 then
        v_grown := v_grown * v_grown_base;
        v_flat := v_flat * v_flat_base;
      end if;
      v_exponent := v_exponent / 2;
      if v_exponent > 0 then
        v_grown_base := v_grown_base * v_grown_base;
        v_flat_base := v_flat_base * v_flat_base;
      end if;
    end loop;
    -- The textbook payment P*i / (1 - (1+i)^-n) = P*i*X / (X - Y) with X = (1200+r)^n, Y = 1200^n and i = r/1200:
    -- in cents, P*r*X / (12*(X - Y)).
    v_level_payment := div(2 * v_remaining * v_rate * v_grown + 12 * (v_grown - v_flat), 24 * (v_grown - v_flat))
      * 0.01;
  end if;

  for v_period in 1..term_months loop
    period := v_period;
    -- balance * r / 1200 to the cent (in cents: balance * r / 12).
    interest := div(2 * v_remaining * v_rate + 12, 24) * 0.01;
    if v_period = term_months then
      principal_paid := v_remaining;
    elsif amortization = 'annuity' then
      -- The level payment covers the interest: it is at least principal * i rounded, and the balance only falls.
      principal_paid := least(v_level_payment - interest, v_remaining);
    else
      principal_paid := least(v_level_principal, v_remaining);
    end if;
    payment := principal_paid + interest;
    v_remaining := v_remaining - principal_paid;
    balance := v_remaining;
    return next;
  end loop;
end;
$$;


--
-- Name: FUNCTION repayment_schedule(principal numeric, annual_rate numeric, term_months integer, amortization text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.repayment_schedule(principal numeric, annual_rate numeric, term_months integer, amortization text) IS 'The monthly repayment schedule of principal at annual_rate percent a year over term_months months.

amortization is ''annuity'' (a level payment) or ''equal_principal'' (level principal plus each period''s interest).
Every amount is rounded half away from zero to the cent each period, and the last period clears the balance to
0.00. Computed exactly, so every server gives the same cents. Raises a plain exception on arguments no caller
should pass (principal not positive cents, a negative rate or one with more than 10 decimals, a term outside
1-480, another amortization).';


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
-- Name: review_claim; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.review_claim (
    claim_id bigint NOT NULL,
    application_id bigint NOT NULL,
    claimed_by text NOT NULL,
    claimed_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    request_id text,
    CONSTRAINT review_claim_expires_after_it_starts CHECK ((expires_at > claimed_at))
);


--
-- Name: TABLE review_claim; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.review_claim IS 'Reviewers'' claims on applications in manual_review; the latest unexpired claim of an application holds it.';


--
-- Name: review_claim_json(lending_private.review_claim); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.review_claim_json(c lending_private.review_claim) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return case when c.claim_id is not null then jsonb_build_object(
    'claim_id', c.claim_id,
    'application_id', c.application_id,
    'claimed_by', c.claimed_by,
    'claimed_at', lending_private.json_time(c.claimed_at),
    'expires_at', lending_private.json_time(c.expires_at)) end;
end;
$$;


--
-- Name: FUNCTION review_claim_json(c lending_private.review_claim); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.review_claim_json(c lending_private.review_claim) IS 'A review claim as the API shows it.';


--
-- Name: risk_score(integer, boolean, integer); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.risk_score(credit_score integer, income_verified boolean, months_employed integer) RETURNS integer
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if credit_score is null then
    return null;
  end if;
  return least(850, greatest(300, credit_score
                                  + case when income_verified then 10 else 0 end
                                  - case when months_employed < 12 then 20 else 0 end));
end;
$$;


--
-- Name: FUNCTION risk_score(credit_score integer, income_verified boolean, months_employed integer); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.risk_score(credit_score integer, income_verified boolean, months_employed integer) IS 'An assessment''s score: the credit score, +10 with verified income, -20 under 12 months employed, within 300-850.';


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
-- Name: setting_value(text); Type: FUNCTION; Schema: lending_private; Owner: -
--

CREATE FUNCTION lending_private.setting_value(name text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_value text;
begin
  select s.value into strict v_value from lending_private.setting as s where s.name = setting_value.name;
  return v_value;
end;
$$;


--
-- Name: FUNCTION setting_value(name text); Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON FUNCTION lending_private.setting_value(name text) IS 'The value of a setting (lending_private.setting); raises if there is none.';


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
-- Name: adverse_reason; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.adverse_reason (
    code text NOT NULL,
    notice_text text NOT NULL,
    requires_text boolean DEFAULT false NOT NULL,
    "position" smallint NOT NULL,
    CONSTRAINT adverse_reason_code_is_snake_case CHECK ((code ~ '^[a-z][a-z0-9_]*$'::text))
);


--
-- Name: TABLE adverse_reason; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.adverse_reason IS 'Reason codes for credit decisions, modelled on Regulation B form C-1, with the words a notice shows.';


--
-- Name: COLUMN adverse_reason.requires_text; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.adverse_reason.requires_text IS 'The code needs the decision''s reason as its specific text (only `other`).';


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
-- Name: assessment_assessment_id_seq; Type: SEQUENCE; Schema: lending_private; Owner: -
--

ALTER TABLE lending_private.assessment ALTER COLUMN assessment_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME lending_private.assessment_assessment_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


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

COMMENT ON COLUMN lending_private.audit_log.subject IS 'Which kind of chain the row belongs to: application, party, actor or product.';


--
-- Name: COLUMN audit_log.subject_id; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.audit_log.subject_id IS 'The application_id, party_id, actor_id or product_id that owns the chain.';


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
-- Name: confirmation; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.confirmation (
    confirmation_id bigint NOT NULL,
    application_id bigint NOT NULL,
    decision_id bigint NOT NULL,
    confirmed boolean NOT NULL,
    reason lending_private.reason,
    confirmed_by text NOT NULL,
    request_id text,
    confirmed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT confirmation_decline_has_reason CHECK ((confirmed OR (reason IS NOT NULL)))
);


--
-- Name: TABLE confirmation; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.confirmation IS 'A second reviewer''s answer to a decision that required confirmation: confirmed, or declined with a reason.';


--
-- Name: confirmation_confirmation_id_seq; Type: SEQUENCE; Schema: lending_private; Owner: -
--

ALTER TABLE lending_private.confirmation ALTER COLUMN confirmation_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME lending_private.confirmation_confirmation_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


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
-- Name: notice_delivery; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.notice_delivery (
    delivery_id bigint NOT NULL,
    application_id bigint NOT NULL,
    decision_id bigint NOT NULL,
    channel text NOT NULL,
    recorded_by text NOT NULL,
    request_id text,
    sent_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT notice_delivery_channel_is_known CHECK ((channel = ANY (ARRAY['email'::text, 'post'::text, 'in_app'::text, 'sms'::text])))
);


--
-- Name: TABLE notice_delivery; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.notice_delivery IS 'Records that an adverse action notice was sent, by which channel.';


--
-- Name: notice_delivery_delivery_id_seq; Type: SEQUENCE; Schema: lending_private; Owner: -
--

ALTER TABLE lending_private.notice_delivery ALTER COLUMN delivery_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME lending_private.notice_delivery_delivery_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: offer_offer_id_seq; Type: SEQUENCE; Schema: lending_private; Owner: -
--

ALTER TABLE lending_private.offer ALTER COLUMN offer_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME lending_private.offer_offer_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: offer_response; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.offer_response (
    offer_id bigint NOT NULL,
    application_id bigint NOT NULL,
    response text NOT NULL,
    reason lending_private.reason,
    recorded_by text NOT NULL,
    request_id text,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT offer_response_is_known CHECK ((response = ANY (ARRAY['accepted'::text, 'declined'::text, 'expired'::text])))
);


--
-- Name: TABLE offer_response; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.offer_response IS 'The borrower''s answer to an offer, recorded on their behalf; at most one per offer.';


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
-- Name: policy_measure; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.policy_measure (
    measure text NOT NULL,
    needs_facts text[] NOT NULL,
    description text NOT NULL,
    CONSTRAINT policy_measure_is_snake_case CHECK ((measure ~ '^[a-z][a-z_]*$'::text))
);


--
-- Name: TABLE policy_measure; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.policy_measure IS 'What a policy rule can measure, and the facts that takes.';


--
-- Name: policy_rule; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.policy_rule (
    product_id bigint NOT NULL,
    version integer NOT NULL,
    "position" smallint NOT NULL,
    measure text NOT NULL,
    comparison text NOT NULL,
    threshold numeric NOT NULL,
    reason_code text NOT NULL,
    on_failure text NOT NULL,
    CONSTRAINT policy_rule_comparison_is_known CHECK ((comparison = ANY (ARRAY['>='::text, '<='::text]))),
    CONSTRAINT policy_rule_failure_is_known CHECK ((on_failure = ANY (ARRAY['reject'::text, 'refer'::text]))),
    CONSTRAINT policy_rule_position_is_positive CHECK (("position" >= 1)),
    CONSTRAINT policy_rule_reason_is_specific CHECK ((reason_code <> 'other'::text))
);


--
-- Name: TABLE policy_rule; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.policy_rule IS 'A product version''s policy: each rule passes when `measure comparison threshold` holds; a failure yields its reason code and either rejects or refers the application to a person. position orders rules by importance.';


--
-- Name: product; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.product (
    product_id bigint NOT NULL,
    product_code text NOT NULL,
    current_version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT product_code_is_valid CHECK ((product_code ~ '^[a-z][a-z0-9_]{1,49}$'::text)),
    CONSTRAINT product_current_version_is_positive CHECK ((current_version >= 1))
);


--
-- Name: TABLE product; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.product IS 'Loan products by code; current_version names the terms in force.';


--
-- Name: COLUMN product.current_version; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON COLUMN lending_private.product.current_version IS 'The version new assessments use; lending.update_product moves it on by one, expected_version checks it.';


--
-- Name: product_product_id_seq; Type: SEQUENCE; Schema: lending_private; Owner: -
--

ALTER TABLE lending_private.product ALTER COLUMN product_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME lending_private.product_product_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: product_rate; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.product_rate (
    product_id bigint NOT NULL,
    version integer NOT NULL,
    risk_grade text NOT NULL,
    annual_rate numeric NOT NULL,
    CONSTRAINT product_rate_is_a_percent CHECK (((annual_rate >= (0)::numeric) AND (annual_rate <= (100)::numeric) AND (scale(annual_rate) <= 4)))
);


--
-- Name: TABLE product_rate; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.product_rate IS 'A product version''s nominal annual interest rate, in percent, by risk grade.';


--
-- Name: review_claim_claim_id_seq; Type: SEQUENCE; Schema: lending_private; Owner: -
--

ALTER TABLE lending_private.review_claim ALTER COLUMN claim_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME lending_private.review_claim_claim_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: risk_grade; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.risk_grade (
    grade text NOT NULL,
    min_score smallint NOT NULL,
    description text NOT NULL,
    CONSTRAINT risk_grade_is_a_letter CHECK ((grade ~ '^[A-Z]$'::text))
);


--
-- Name: TABLE risk_grade; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.risk_grade IS 'Risk grades A (best) to E, by the lowest score that reaches each.';


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
-- Name: setting; Type: TABLE; Schema: lending_private; Owner: -
--

CREATE TABLE lending_private.setting (
    name text NOT NULL,
    value text NOT NULL,
    description text NOT NULL,
    CONSTRAINT setting_name_is_snake_case CHECK ((name ~ '^[a-z][a-z0-9_]*$'::text))
);


--
-- Name: TABLE setting; Type: COMMENT; Schema: lending_private; Owner: -
--

COMMENT ON TABLE lending_private.setting IS 'Tunable settings, one row each; lending_private.setting_value reads them.';


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
-- Name: adverse_reason adverse_reason_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.adverse_reason
    ADD CONSTRAINT adverse_reason_pkey PRIMARY KEY (code);


--
-- Name: adverse_reason adverse_reason_position_key; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.adverse_reason
    ADD CONSTRAINT adverse_reason_position_key UNIQUE ("position");


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
-- Name: assessment assessment_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.assessment
    ADD CONSTRAINT assessment_pkey PRIMARY KEY (assessment_id);


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
-- Name: confirmation confirmation_answers_once; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.confirmation
    ADD CONSTRAINT confirmation_answers_once UNIQUE (decision_id);


--
-- Name: confirmation confirmation_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.confirmation
    ADD CONSTRAINT confirmation_pkey PRIMARY KEY (confirmation_id);


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
-- Name: notice_delivery notice_delivery_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.notice_delivery
    ADD CONSTRAINT notice_delivery_pkey PRIMARY KEY (delivery_id);


--
-- Name: offer offer_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.offer
    ADD CONSTRAINT offer_pkey PRIMARY KEY (offer_id);


--
-- Name: offer_response offer_response_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.offer_response
    ADD CONSTRAINT offer_response_pkey PRIMARY KEY (offer_id);


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
-- Name: policy_measure policy_measure_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.policy_measure
    ADD CONSTRAINT policy_measure_pkey PRIMARY KEY (measure);


--
-- Name: policy_rule policy_rule_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.policy_rule
    ADD CONSTRAINT policy_rule_pkey PRIMARY KEY (product_id, version, "position");


--
-- Name: product product_code_is_unique; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.product
    ADD CONSTRAINT product_code_is_unique UNIQUE (product_code);


--
-- Name: product product_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.product
    ADD CONSTRAINT product_pkey PRIMARY KEY (product_id);


--
-- Name: product_rate product_rate_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.product_rate
    ADD CONSTRAINT product_rate_pkey PRIMARY KEY (product_id, version, risk_grade);


--
-- Name: product_version product_version_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.product_version
    ADD CONSTRAINT product_version_pkey PRIMARY KEY (product_id, version);


--
-- Name: review_claim review_claim_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.review_claim
    ADD CONSTRAINT review_claim_pkey PRIMARY KEY (claim_id);


--
-- Name: risk_grade risk_grade_min_score_key; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.risk_grade
    ADD CONSTRAINT risk_grade_min_score_key UNIQUE (min_score);


--
-- Name: risk_grade risk_grade_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.risk_grade
    ADD CONSTRAINT risk_grade_pkey PRIMARY KEY (grade);


--
-- Name: role_operation role_operation_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.role_operation
    ADD CONSTRAINT role_operation_pkey PRIMARY KEY (role, operation);


--
-- Name: setting setting_pkey; Type: CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.setting
    ADD CONSTRAINT setting_pkey PRIMARY KEY (name);


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
-- Name: assessment_application; Type: INDEX; Schema: lending_private; Owner: -
--

CREATE INDEX assessment_application ON lending_private.assessment USING btree (application_id, assessment_id);


--
-- Name: confirmation_application; Type: INDEX; Schema: lending_private; Owner: -
--

CREATE INDEX confirmation_application ON lending_private.confirmation USING btree (application_id, confirmation_id);


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
-- Name: notice_delivery_application; Type: INDEX; Schema: lending_private; Owner: -
--

CREATE INDEX notice_delivery_application ON lending_private.notice_delivery USING btree (application_id, delivery_id);


--
-- Name: offer_application; Type: INDEX; Schema: lending_private; Owner: -
--

CREATE INDEX offer_application ON lending_private.offer USING btree (application_id, offer_id);


--
-- Name: review_claim_application; Type: INDEX; Schema: lending_private; Owner: -
--

CREATE INDEX review_claim_application ON lending_private.review_claim USING btree (application_id, claim_id);


--
-- Name: assessment _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.assessment FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: audit_log _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.audit_log FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: confirmation _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.confirmation FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: decision _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.decision FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: event _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.event FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: notice_delivery _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.notice_delivery FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: offer _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.offer FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: offer_response _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.offer_response FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: policy_rule _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.policy_rule FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: product_rate _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.product_rate FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: product_version _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.product_version FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: review_claim _100_refuse_change; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON lending_private.review_claim FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


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
-- Name: product _100_refuse_delete; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_delete BEFORE DELETE ON lending_private.product FOR EACH ROW EXECUTE FUNCTION lending_private.refuse_change();


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
-- Name: assessment _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.assessment FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: audit_log _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.audit_log FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: confirmation _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.confirmation FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: decision _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.decision FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: event _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.event FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: notice_delivery _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.notice_delivery FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: offer _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.offer FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: offer_response _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.offer_response FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: party _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.party FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: policy_rule _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.policy_rule FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: product _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.product FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: product_rate _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.product_rate FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: product_version _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.product_version FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: review_claim _100_refuse_truncate; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON lending_private.review_claim FOR EACH STATEMENT EXECUTE FUNCTION lending_private.refuse_change();


--
-- Name: application _140_check_currency; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _140_check_currency BEFORE INSERT OR UPDATE OF currency ON lending_private.application FOR EACH ROW EXECUTE FUNCTION lending_private.check_currency();


--
-- Name: product_version _140_check_currency; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _140_check_currency BEFORE INSERT ON lending_private.product_version FOR EACH ROW WHEN ((new.currency IS NOT NULL)) EXECUTE FUNCTION lending_private.check_currency();


--
-- Name: decision _150_check_reasons; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _150_check_reasons BEFORE INSERT ON lending_private.decision FOR EACH ROW EXECUTE FUNCTION lending_private.check_decision_reasons();


--
-- Name: product_version _150_check_terms; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _150_check_terms BEFORE INSERT ON lending_private.product_version FOR EACH ROW EXECUTE FUNCTION lending_private.check_product_terms();


--
-- Name: application _150_enforce_status_machine; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _150_enforce_status_machine BEFORE INSERT OR UPDATE OF status ON lending_private.application FOR EACH ROW EXECUTE FUNCTION lending_private.enforce_status_machine();


--
-- Name: actor _150_guard_administration; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _150_guard_administration BEFORE UPDATE ON lending_private.actor FOR EACH ROW EXECUTE FUNCTION lending_private.guard_administration();


--
-- Name: application _160_check_facts; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _160_check_facts BEFORE INSERT OR UPDATE ON lending_private.application FOR EACH ROW EXECUTE FUNCTION lending_private.check_application_facts();


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
-- Name: assessment _800_event; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _800_event AFTER INSERT ON lending_private.assessment FOR EACH ROW EXECUTE FUNCTION lending_private.record_row_event('application.assessed', 'assessment_id', 'recommendation', 'risk_grade', 'reason_codes');


--
-- Name: notice_delivery _800_event; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _800_event AFTER INSERT ON lending_private.notice_delivery FOR EACH ROW EXECUTE FUNCTION lending_private.record_row_event('application.notice_sent', 'delivery_id', 'decision_id', 'channel');


--
-- Name: review_claim _800_event; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _800_event AFTER INSERT ON lending_private.review_claim FOR EACH ROW EXECUTE FUNCTION lending_private.record_row_event('application.review_claimed', 'claim_id', 'claimed_by', 'expires_at');


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
-- Name: assessment _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT ON lending_private.assessment FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('application', 'application_id', 'assessment_id');


--
-- Name: confirmation _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT ON lending_private.confirmation FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('application', 'application_id', 'confirmation_id');


--
-- Name: decision _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT ON lending_private.decision FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('application', 'application_id', 'decision_id');


--
-- Name: notice_delivery _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT ON lending_private.notice_delivery FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('application', 'application_id', 'delivery_id');


--
-- Name: offer _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT ON lending_private.offer FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('application', 'application_id', 'offer_id', 'amount', 'installment', 'total_interest', 'origination_fee', 'total_repayable');


--
-- Name: offer_response _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT ON lending_private.offer_response FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('application', 'application_id', 'offer_id');


--
-- Name: party _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT OR UPDATE ON lending_private.party FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('party', 'party_id', 'party_id');


--
-- Name: policy_rule _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT ON lending_private.policy_rule FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('product', 'product_id', 'version');


--
-- Name: product _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT OR UPDATE ON lending_private.product FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('product', 'product_id', 'product_id');


--
-- Name: product_rate _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT ON lending_private.product_rate FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('product', 'product_id', 'version');


--
-- Name: product_version _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT ON lending_private.product_version FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('product', 'product_id', 'version', 'min_amount', 'max_amount', 'origination_fee_cap', 'late_fee_flat', 'agent_approval_limit');


--
-- Name: review_claim _900_audit; Type: TRIGGER; Schema: lending_private; Owner: -
--

CREATE TRIGGER _900_audit AFTER INSERT ON lending_private.review_claim FOR EACH ROW EXECUTE FUNCTION lending_private.record_audit('application', 'application_id', 'claim_id');


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
-- Name: assessment assessment_application_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.assessment
    ADD CONSTRAINT assessment_application_id_fkey FOREIGN KEY (application_id) REFERENCES lending_private.application(application_id);


--
-- Name: confirmation confirmation_application_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.confirmation
    ADD CONSTRAINT confirmation_application_id_fkey FOREIGN KEY (application_id) REFERENCES lending_private.application(application_id);


--
-- Name: confirmation confirmation_decision_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.confirmation
    ADD CONSTRAINT confirmation_decision_id_fkey FOREIGN KEY (decision_id) REFERENCES lending_private.decision(decision_id);


--
-- Name: decision decision_application_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.decision
    ADD CONSTRAINT decision_application_id_fkey FOREIGN KEY (application_id) REFERENCES lending_private.application(application_id);


--
-- Name: decision decision_assessment_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.decision
    ADD CONSTRAINT decision_assessment_id_fkey FOREIGN KEY (assessment_id) REFERENCES lending_private.assessment(assessment_id);


--
-- Name: event_family event_family_read_operation_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.event_family
    ADD CONSTRAINT event_family_read_operation_fkey FOREIGN KEY (read_operation) REFERENCES lending_private.operation(operation);


--
-- Name: notice_delivery notice_delivery_application_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.notice_delivery
    ADD CONSTRAINT notice_delivery_application_id_fkey FOREIGN KEY (application_id) REFERENCES lending_private.application(application_id);


--
-- Name: notice_delivery notice_delivery_decision_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.notice_delivery
    ADD CONSTRAINT notice_delivery_decision_id_fkey FOREIGN KEY (decision_id) REFERENCES lending_private.decision(decision_id);


--
-- Name: offer offer_application_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.offer
    ADD CONSTRAINT offer_application_id_fkey FOREIGN KEY (application_id) REFERENCES lending_private.application(application_id);


--
-- Name: offer offer_assessment_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.offer
    ADD CONSTRAINT offer_assessment_id_fkey FOREIGN KEY (assessment_id) REFERENCES lending_private.assessment(assessment_id);


--
-- Name: offer offer_decision_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.offer
    ADD CONSTRAINT offer_decision_id_fkey FOREIGN KEY (decision_id) REFERENCES lending_private.decision(decision_id);


--
-- Name: offer_response offer_response_application_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.offer_response
    ADD CONSTRAINT offer_response_application_id_fkey FOREIGN KEY (application_id) REFERENCES lending_private.application(application_id);


--
-- Name: offer_response offer_response_offer_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.offer_response
    ADD CONSTRAINT offer_response_offer_id_fkey FOREIGN KEY (offer_id) REFERENCES lending_private.offer(offer_id);


--
-- Name: policy_rule policy_rule_measure_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.policy_rule
    ADD CONSTRAINT policy_rule_measure_fkey FOREIGN KEY (measure) REFERENCES lending_private.policy_measure(measure);


--
-- Name: policy_rule policy_rule_product_id_version_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.policy_rule
    ADD CONSTRAINT policy_rule_product_id_version_fkey FOREIGN KEY (product_id, version) REFERENCES lending_private.product_version(product_id, version);


--
-- Name: policy_rule policy_rule_reason_code_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.policy_rule
    ADD CONSTRAINT policy_rule_reason_code_fkey FOREIGN KEY (reason_code) REFERENCES lending_private.adverse_reason(code);


--
-- Name: product_rate product_rate_product_id_version_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.product_rate
    ADD CONSTRAINT product_rate_product_id_version_fkey FOREIGN KEY (product_id, version) REFERENCES lending_private.product_version(product_id, version);


--
-- Name: product_rate product_rate_risk_grade_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.product_rate
    ADD CONSTRAINT product_rate_risk_grade_fkey FOREIGN KEY (risk_grade) REFERENCES lending_private.risk_grade(grade);


--
-- Name: product_version product_version_product_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.product_version
    ADD CONSTRAINT product_version_product_id_fkey FOREIGN KEY (product_id) REFERENCES lending_private.product(product_id);


--
-- Name: review_claim review_claim_application_id_fkey; Type: FK CONSTRAINT; Schema: lending_private; Owner: -
--

ALTER TABLE ONLY lending_private.review_claim
    ADD CONSTRAINT review_claim_application_id_fkey FOREIGN KEY (application_id) REFERENCES lending_private.application(application_id);


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
    ('20261203173020'),
    ('20261203185219'),
    ('20261203191502'),
    ('20261203192600'),
    ('20261203200311'),
    ('20261203200504'),
    ('20261203202845');
