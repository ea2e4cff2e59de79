-- Recomputes a chain from its first row: every position present, every row linked to the one before it, every
-- content digest and hash as recomputed, and the last row matching the chain head. A redacted row no longer has
-- the content its digest was taken of, so only its links are checked.
create or replace function lending_private.verify_audit_chain(subject text, subject_id bigint)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
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
comment on function lending_private.verify_audit_chain(text, bigint) is
  'Recomputes one audit chain; returns {verified, rows_checked, broken_at_seq, problem}.';
