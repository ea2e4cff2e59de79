-- The reasons a credit decision can give, as a controlled vocabulary: an adverse action notice must state the
-- specific principal reasons (Regulation B, 12 CFR 1002.9), and form C-1 of its appendix lists sample reasons in
-- plain words. Each code carries the words a notice shows; position orders the list as the form does. `other`
-- stands for a reason the list lacks: the decision's own reason is then the specific text the notice shows.
create table lending_private.adverse_reason (
  code text primary key constraint adverse_reason_code_is_snake_case check (code ~ '^[a-z][a-z0-9_]*$'),
  notice_text text not null,
  requires_text boolean not null default false,
  position smallint not null unique
);
comment on table lending_private.adverse_reason is
  'Reason codes for credit decisions, modelled on Regulation B form C-1, with the words a notice shows.';
comment on column lending_private.adverse_reason.requires_text is
  'The code needs the decision''s reason as its specific text (only `other`).';

insert into lending_private.adverse_reason (code, notice_text, requires_text, position) values
  ('credit_application_incomplete', 'Credit application incomplete', false, 1),
  ('insufficient_credit_references', 'Insufficient number of credit references provided', false, 2),
  ('unable_to_verify_credit_references', 'Unable to verify credit references', false, 3),
  ('temporary_or_irregular_employment', 'Temporary or irregular employment', false, 4),
  ('unable_to_verify_employment', 'Unable to verify employment', false, 5),
  ('length_of_employment', 'Length of employment', false, 6),
  ('too_short_residence', 'Too short a period of residence', false, 7),
  ('unable_to_verify_residence', 'Unable to verify residence', false, 8),
  ('no_credit_file', 'No credit file', false, 9),
  ('limited_credit_experience', 'Limited credit experience', false, 10),
  ('insufficient_credit_score', 'Credit score below the minimum for the credit requested', false, 11),
  ('delinquent_credit_obligations', 'Delinquent past or present credit obligations with others', false, 12),
  ('collection_action_or_judgment', 'Collection action or judgment', false, 13),
  ('bankruptcy', 'Bankruptcy', false, 14),
  ('excessive_obligations', 'Excessive obligations in relation to income', false, 15),
  ('insufficient_income', 'Income insufficient for amount of credit requested', false, 16),
  ('unable_to_verify_income', 'Unable to verify income', false, 17),
  ('unable_to_verify_identity', 'Unable to verify identity', false, 18),
  ('amount_exceeds_product_limit', 'Amount requested exceeds the limit of the loan product', false, 19),
  ('amount_below_product_minimum', 'Amount requested is below the minimum of the loan product', false, 20),
  ('term_outside_product_limits', 'Term requested is outside the limits of the loan product', false, 21),
  ('terms_not_offered', 'We do not grant credit to any applicant on the terms and conditions you request', false, 22),
  ('other', 'Other', true, 99);
