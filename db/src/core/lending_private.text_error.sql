-- Field rules, each in one function that returns what is wrong (or null). The domains (domains.sql) call them, so
-- direct SQL is held to the same rules, and the API functions call them to report every bad field at once.
-- The rules of optional fields are STRICT where null means nothing is wrong: PostgreSQL then does not call them
-- for a null at all (a PL/pgSQL call each, twice per field per application: once by the API function, once by the
-- domain).
--
-- Free text (names, references, purposes, reasons, labels, keys) follows one rule, which the HTTP layer does not
-- repeat: it passes text through and answers what this function says.
-- * Blank is refused: text made only of what shows as nothing, Unicode's White_Space and Default_Ignorable_Code_Point
--   characters (spaces of every width, tabs and line breaks, zero-width spaces and joiners, the byte order mark,
--   soft hyphens, variation selectors, Hangul fillers, tags) and the blank Braille pattern U+2800.
-- * Control characters are refused anywhere in the text: the C0 and C1 controls (Cc: BEL, ESC, tabs and line breaks
--   too, which forge lines in logs and terminals) and the bidirectional embeddings, overrides and isolates
--   (U+202A-U+202E, U+2066-U+2069), which reorder how the text around them is shown ("Trojan Source").
--   Text is one line: a reason or a purpose with line breaks is refused too.
-- Valid text is matched by one regular expression (no control character, at least one character that shows);
-- the second, which tells blank from a control character, runs only for text that is refused. PostgreSQL caches
-- each compiled expression per connection.
create or replace function lending_private.text_error(value text, max_length integer, required boolean default false)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
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
$$;
comment on function lending_private.text_error(text, integer, boolean) is
  'What is wrong with a free-text field (missing, blank, a control character, too long), or null.';
