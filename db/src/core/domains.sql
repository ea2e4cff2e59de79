-- The validated columns are domains: types that carry their rule, so that direct SQL is held to the same rules as
-- the API. Each rule is a function (lending_private.*_error) that the API functions also call, to report every bad
-- field at once before they write; so only direct SQL ever sees a domain's violation, which names the domain's
-- constraint and type rather than the column.
--
-- Domains rather than the tables' CHECK constraints for what it costs: PostgreSQL keeps a table's CHECK expressions
-- as text and reads and plans them again for every statement that writes the table (15,000-20,000 instructions per
-- constraint per statement, callgrind), while a domain's constraints are prepared once per connection, in its type
-- cache. lending.apply: -6% instructions per call.
--
-- A domain checks a value; whether a column may be empty is the column's NOT NULL. So every check lets a null
-- through without calling its function: the function of a required field would answer 'is required' for it, and a
-- direct insert of a null would then fail on the domain, without naming the column, rather than on NOT NULL. (The
-- functions of optional fields are STRICT, and so are not called for a null either.)
create domain lending_private.party_name as text
  constraint party_name_is_valid check (value is null or lending_private.text_error(value, 255) is null);
comment on domain lending_private.party_name is 'A party''s name: 1-255 characters, not blank.';

create domain lending_private.email_address as text
  constraint email_address_is_valid check (lending_private.email_error(value) is null);
comment on domain lending_private.email_address is 'An email address of at most 254 characters.';

create domain lending_private.phone_number as text
  constraint phone_number_is_valid check (lending_private.phone_error(value) is null);
comment on domain lending_private.phone_number is 'A phone number of 5 to 15 digits, optionally starting with +.';

create domain lending_private.external_ref as text
  constraint external_ref_is_valid check (value is null or lending_private.text_error(value, 100) is null);
comment on domain lending_private.external_ref is 'A reference in another system: at most 100 characters, not blank.';

create domain lending_private.loan_amount as numeric
  constraint loan_amount_is_valid check (value is null or lending_private.amount_error(value) is null);
comment on domain lending_private.loan_amount is
  'An amount asked for: greater than 0, at most 10000000.00, at most 2 decimal places.';

create domain lending_private.term_months as integer
  constraint term_months_is_valid check (lending_private.term_months_error(value) is null);
comment on domain lending_private.term_months is 'A loan''s term: 1-480 months.';

create domain lending_private.loan_purpose as text
  constraint loan_purpose_is_valid check (value is null or lending_private.text_error(value, 500) is null);
comment on domain lending_private.loan_purpose is 'What a loan is for: at most 500 characters, not blank.';

create domain lending_private.reason as text
  constraint reason_is_valid check (value is null or lending_private.text_error(value, 2000) is null);
comment on domain lending_private.reason is 'Why something was done: at most 2000 characters, not blank.';

create domain lending_private.row_version as integer
  constraint row_version_is_positive check (value >= 1);
comment on domain lending_private.row_version is 'A row''s version for optimistic concurrency: from 1, up by one per change.';

create domain lending_private.decision_outcome as text
  constraint decision_outcome_is_known check (value in ('approved', 'rejected', 'manual_review'));
comment on domain lending_private.decision_outcome is 'What an underwriting decision decided: approved, rejected or manual_review.';

create domain lending_private.reason_codes as text[]
  constraint reason_codes_are_valid check (lending_private.reason_codes_error(value) is null);
comment on domain lending_private.reason_codes is 'Machine-readable reasons: see lending_private.reason_codes_error.';

create domain lending_private.event_type as text
  constraint event_type_is_valid check (lending_private.event_type_error(value) is null);
comment on domain lending_private.event_type is 'An event''s type, such as application.filed: see lending_private.event_type_error.';

-- Not "idempotency_key": that name is the row type of the table of the same name.
create domain lending_private.idempotency_key_value as text
  constraint idempotency_key_is_valid check (value is null or lending_private.text_error(value, 255) is null);
comment on domain lending_private.idempotency_key_value is 'An Idempotency-Key as the client sent it: 1-255 characters, not blank.';
