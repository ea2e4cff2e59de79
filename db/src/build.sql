-- The database as it stands today, in dependency order: the table of contents of db/src.
--
-- Each file is the current definition of what it names: one file per function (every overload, its SET clauses,
-- its comment and its grants), and the tables of a domain with their constraints, indexes, triggers and reference
-- rows. Migrations (db/migrations) are written from these files by `make migration` and are what a real database
-- is given; this manifest builds a database from the source directly, which tests/test_source.py compares with
-- one built from the migrations. It expects an empty database in which dbmate's own table exists, as dbmate
-- leaves it before the first migration:
--
--   psql -v ON_ERROR_STOP=1 --single-transaction -f db/src/build.sql
--
-- Roles and schemas need a role that may create them; everything after them is created by lending_owner.

\ir core/roles_and_schemas.sql
set role lending_owner;

-- Core: errors, field rules and domains, the audit trail, idempotency ----------------------------------------
\ir core/error_code.sql
\ir core/lending_private.fail.sql
\ir core/lending_private.field_error.sql
\ir core/lending_private.fail_if_invalid.sql
\ir core/lending_private.json_time.sql
\ir core/lending_private.cursor_text.sql
\ir core/lending_private.id_cursor.sql
\ir core/lending_private.cursor_id.sql

\ir core/lending_private.text_error.sql
\ir core/lending_private.email_error.sql
\ir core/lending_private.phone_error.sql
\ir core/lending_private.amount_error.sql
\ir core/lending_private.money_error.sql
\ir core/lending_private.number_error.sql
\ir core/lending_private.is_date.sql
\ir core/lending_private.json_value_error.sql
\ir core/lending_private.term_months_error.sql
\ir core/lending_private.reason_codes_error.sql
\ir core/lending_private.event_type_error.sql
\ir core/currency.sql
\ir core/lending_private.currency_error.sql
\ir core/domains.sql

\ir core/lending_private.current_actor.sql
\ir core/lending_private.current_request_id.sql
\ir core/lending_private.refuse_change.sql
\ir core/lending_private.bump_version.sql
\ir core/lending_private.audit_row_error.sql
\ir core/audit_log.sql
\ir core/lending_private.audit_genesis.sql
\ir core/lending_private.audit_digest.sql
\ir core/lending_private.record_audit.sql
\ir core/lending_private.verify_audit_chain.sql

\ir core/idempotency_key.sql
\ir core/lending_private.request_hash.sql
\ir core/lending_private.idempotency_claim.sql
\ir core/lending_private.idempotency_complete.sql

\ir core/setting.sql
\ir core/lending_private.setting_value.sql

\ir core/lending.schema_version.sql

-- Access: the role matrix, actors, API keys, and who is acting -------------------------------------------------
\ir access/role_matrix.sql
\ir access/lending_private.actor_name_error.sql
\ir access/lending_private.actor_role_error.sql
\ir access/lending_private.session_is_superuser.sql
\ir access/lending_private.lock_administration.sql
\ir access/lending_private.guard_administration.sql
\ir access/actor.sql
\ir access/lending_private.notify_key_change.sql
\ir access/api_key.sql
\ir access/lending_private.acting_actor_name.sql
\ir access/lending_private.act_as.sql
\ir access/lending_private.identify.sql
\ir access/lending_private.authorize.sql
\ir access/lending_private.actor_json.sql
\ir access/lending_private.api_key_json.sql
\ir access/lending_private.find_actor.sql
\ir access/lending.authenticate.sql
\ir access/lending.whoami.sql
\ir access/lending.create_actor.sql
\ir access/lending.update_actor.sql
\ir access/lending.list_actors.sql
\ir access/lending.create_api_key.sql
\ir access/lending.revoke_api_key.sql
\ir access/lending.list_api_keys.sql

-- Applications: the status machine, parties, applications and decisions ----------------------------------------
\ir applications/status_machine.sql
\ir applications/lending_private.next_statuses.sql
\ir applications/lending_private.check_transition.sql
\ir applications/lending_private.check_currency.sql
\ir applications/lending_private.enforce_status_machine.sql
\ir applications/party.sql
-- What applications name and decisions rely on, from underwriting: the reason codes, the products, assessments.
\ir underwriting/adverse_reason.sql
\ir underwriting/lending_private.product_errors.sql
\ir underwriting/lending_private.check_product_terms.sql
\ir underwriting/product.sql
\ir applications/lending_private.check_application_facts.sql
\ir applications/application.sql
\ir applications/lending_private.application_fact_errors.sql
\ir applications/lending_private.application_facts.sql
\ir applications/lending_private.missing_facts.sql
\ir underwriting/assessment.sql
\ir applications/lending_private.decision_reasons_error.sql
\ir applications/lending_private.check_decision_reasons.sql
\ir applications/decision.sql
\ir underwriting/review_claim.sql
\ir underwriting/confirmation.sql
\ir underwriting/offer.sql
\ir underwriting/notice_delivery.sql
\ir applications/lending_private.decision_json.sql
\ir underwriting/lending_private.assessment_json.sql
\ir underwriting/lending_private.offer_json.sql
\ir underwriting/lending_private.review_claim_json.sql
\ir applications/lending_private.application_json.sql
\ir applications/lending_private.fail_application_not_found.sql
\ir applications/lending_private.lock_application.sql
\ir applications/lending.apply.sql
\ir applications/lending.decide.sql
\ir applications/lending.withdraw.sql
\ir applications/lending.get_application.sql
\ir applications/lending.list_applications.sql
\ir applications/lending.application_audit.sql
\ir applications/lending.update_application.sql

-- Underwriting: products, assessments, decisions' oversight, offers and notices --------------------------------
\ir underwriting/lending_private.risk_score.sql
\ir underwriting/lending_private.repayment_schedule.sql
\ir underwriting/lending_private.annual_percentage_rate.sql
\ir underwriting/lending_private.offer_terms.sql
\ir underwriting/lending_private.evaluate_policy.sql
\ir underwriting/lending_private.product_json.sql
\ir underwriting/lending_private.insert_product_version.sql
\ir underwriting/lending_private.make_offer.sql
\ir underwriting/lending_private.fail_offer_not_found.sql
\ir underwriting/lending.list_products.sql
\ir underwriting/lending.get_product.sql
\ir underwriting/lending.create_product.sql
\ir underwriting/lending.update_product.sql
\ir underwriting/lending.list_reason_codes.sql
\ir underwriting/lending.assess_application.sql
\ir underwriting/lending.review_queue.sql
\ir underwriting/lending.claim_review.sql
\ir underwriting/lending.confirm_decision.sql
\ir underwriting/lending.accept_offer.sql
\ir underwriting/lending.decline_offer.sql
\ir underwriting/lending_private.rejection_of.sql
\ir underwriting/lending.adverse_action_notice.sql
\ir underwriting/lending.record_notice_sent.sql

-- Events: the feed of every change, and who is waiting for it --------------------------------------------------
\ir events/event_watcher.sql
\ir events/lending_private.record_application_event.sql
\ir events/lending_private.record_row_event.sql
\ir events/event.sql
\ir events/event_family.sql
\ir events/lending_private.event_cursor.sql
\ir events/lending.events_after.sql
\ir events/lending.watch_events.sql
\ir events/lending.unwatch_events.sql

reset role;
