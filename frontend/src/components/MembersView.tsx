// Company Settings -> Members: who belongs to the company with which rights; invite, change, remove.

import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { inviteMember, listMembers, removeMember, updateMember } from "../api";
import { useApp } from "../context";
import { PERMISSION_LABELS, PERMISSIONS } from "../permissions";
import type { Member, Permission } from "../types";
import { ConfirmDialog } from "./ConfirmDialog";
import { errorText } from "./messages";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const STATUS_TEXT: Record<Member["status"], string> = { invited: "Invited", active: "Active" };

type Field = "erp_permission" | "budget_permission";

// Each tool's permissions are its own admins' to give (docs/domain-rules.md, "Who gives which
// permission"): the API refuses the others, so their controls are shown but not offered.
const NOT_YOURS: Record<Field, string> = {
  erp_permission: "Only an ERP Integrations admin can give or change this permission.",
  budget_permission: "Only a Budget admin can give or change this permission.",
};

// The reason is shown on the page, not only in a tooltip (which a keyboard or touch user never sees),
// and each disabled select points at it.
const NOT_YOURS_ID: Record<Field, string> = {
  erp_permission: "members-erp-permission-reason",
  budget_permission: "members-budget-permission-reason",
};
const NOT_YOURS_ON_PAGE: Record<Field, string> = {
  erp_permission: "Only an ERP Integrations admin can give or change a member's ERP Integrations access.",
  budget_permission: "Only a Budget admin can give or change a member's Budget access.",
};

export function MembersView() {
  const { api, company, me } = useApp();
  const mine: Record<Field, boolean> = {
    erp_permission: company.erp_permission === "admin",
    budget_permission: company.budget_permission === "admin",
  };
  const [members, setMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  // The Remove button that opened the dialog, which gets the focus back when it closes.
  const [removeButton, setRemoveButton] = useState<HTMLButtonElement | null>(null);
  // Where the focus goes once a removed member's row (and its Remove button) is gone: the list the
  // person was working in, not the page's body.
  const tableRef = useRef<HTMLTableElement>(null);
  const removedRow = useRef(false);

  // A promise chain rather than async/await, so the effect below sets no state until the answer.
  const load = useCallback(
    () =>
      listMembers(api, company.company_id).then(
        (answer) => setMembers(answer.members),
        (caught: unknown) => setError(errorText(caught, "Could not load the members.")),
      ),
    [api, company.company_id],
  );

  useEffect(() => {
    void load();
  }, [load]);

  // Please Confirm closes when OK is pressed and hands the focus back to the Remove button, before
  // or after the API answers: either way the row leaves with that button once the member is removed,
  // and the browser drops the focus on the page's body. The table takes it instead.
  useEffect(() => {
    if (!removedRow.current) return;
    removedRow.current = false;
    if (document.activeElement === null || document.activeElement === document.body) tableRef.current?.focus();
  }, [members]);

  function report(message: string | null, problem: string | null) {
    setNotice(message);
    setError(problem);
  }

  async function change(member: Member, field: Field, value: Permission) {
    report(null, null);
    const before = members;
    setMembers((list) => list?.map((m) => (m.email === member.email ? { ...m, [field]: value } : m)) ?? null);
    try {
      await updateMember(api, company.company_id, member.email, { [field]: value });
      const tool = field === "erp_permission" ? "ERP Integrations" : "Budget";
      report(`${member.email} now has ${PERMISSION_LABELS[value]} permission for ${tool}.`, null);
    } catch (caught) {
      setMembers(before);
      report(null, errorText(caught, `Could not change ${member.email}'s permission.`));
    }
  }

  async function remove(member: Member) {
    setRemoving(null);
    report(null, null);
    try {
      await removeMember(api, company.company_id, member.email);
      removedRow.current = true;
      setMembers((list) => list?.filter((m) => m.email !== member.email) ?? null);
      report(`${member.email} was removed from ${company.name}.`, null);
    } catch (caught) {
      report(null, errorText(caught, `Could not remove ${member.email}.`));
    }
  }

  return (
    <div className="members">
      <div className="page-head">
        <div>
          <p className="eyebrow">Company Settings</p>
          <h1>Members</h1>
        </div>
        <button type="button" className="button" onClick={() => emailRef.current?.focus()}>
          Invite Member
        </button>
      </div>
      {(Object.keys(NOT_YOURS) as Field[])
        .filter((field) => !mine[field])
        .map((field) => (
          <p key={field} id={NOT_YOURS_ID[field]} className="muted small">
            {NOT_YOURS_ON_PAGE[field]}
          </p>
        ))}
      <p role="status" className={notice ? "message message-success" : "visually-hidden"}>
        {notice ?? ""}
      </p>
      {error && (
        <p className="message message-error" role="alert">
          {error}
        </p>
      )}
      <InviteForm
        mine={mine}
        emailRef={emailRef}
        onInvited={(member) => {
          // Someone who already has an account just joins (no invitation goes out): say so.
          report(
            member.status === "active"
              ? `${member.email} already has an account and now belongs to this company; no invitation was needed.`
              : `Invitation sent to ${member.email}.`,
            null,
          );
          void load();
        }}
        onError={(message) => report(null, message)}
      />
      {members === null ? (
        !error && <p className="muted">Loading members…</p>
      ) : (
        <div className="table-wrap">
          <table className="table" aria-label="Members" ref={tableRef} tabIndex={-1}>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Status</th>
                <th scope="col">ERP Integrations Permission</th>
                <th scope="col">Budget Permission</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {members.map((member) => (
                <MemberRow
                  key={member.email}
                  member={member}
                  isMe={member.email.toLowerCase() === me.email.toLowerCase()}
                  mine={mine}
                  onChange={(field, value) => void change(member, field, value)}
                  onRemove={(button) => {
                    setRemoveButton(button);
                    setRemoving(member);
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {removing && (
        <ConfirmDialog
          onConfirm={() => void remove(removing)}
          onCancel={() => setRemoving(null)}
          returnFocusTo={removeButton}
        >
          <p>
            Remove <strong>{removing.email}</strong> from {company.name}? They lose access to this company at once.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

interface RowProps {
  member: Member;
  isMe: boolean;
  mine: Record<Field, boolean>;
  onChange: (field: Field, value: Permission) => void;
  onRemove: (button: HTMLButtonElement) => void;
}

function MemberRow({ member, isMe, mine, onChange, onRemove }: RowProps) {
  const emailId = useId();
  // Row controls are named "… access for <email>", so they never share a name with the invite form's fields.
  return (
    <tr>
      <th scope="row" id={emailId} className="row-head">
        {member.email}
        {isMe && <span className="muted small"> (you)</span>}
      </th>
      <td>
        <span className={`badge badge-member-${member.status}`}>{STATUS_TEXT[member.status] ?? member.status}</span>
      </td>
      <td>
        <PermissionSelect
          label={`ERP Integrations access for ${member.email}`}
          value={member.erp_permission}
          field="erp_permission"
          editable={mine.erp_permission}
          onChange={(value) => onChange("erp_permission", value)}
        />
      </td>
      <td>
        <PermissionSelect
          label={`Budget access for ${member.email}`}
          value={member.budget_permission}
          field="budget_permission"
          editable={mine.budget_permission}
          onChange={(value) => onChange("budget_permission", value)}
        />
      </td>
      <td>
        <button
          type="button"
          className="button button-small"
          aria-describedby={emailId}
          onClick={(event) => onRemove(event.currentTarget)}
        >
          Remove
        </button>
      </td>
    </tr>
  );
}

interface SelectProps {
  /** A row's select is named by `label`; the invite form's by its own <label> through `id`. */
  label?: string;
  id?: string;
  field: Field;
  value: Permission;
  /** False when the signed-in person does not administer this tool: the select is disabled, with the reason. */
  editable: boolean;
  onChange: (value: Permission) => void;
}

function PermissionSelect({ label, id, field, value, editable, onChange }: SelectProps) {
  return (
    <select
      id={id}
      className={label ? "cell-input" : undefined}
      aria-label={label}
      value={value}
      disabled={!editable}
      title={editable ? undefined : NOT_YOURS[field]}
      aria-describedby={editable ? undefined : NOT_YOURS_ID[field]}
      onChange={(e) => onChange(e.target.value as Permission)}
    >
      {PERMISSIONS.map((p) => (
        <option key={p} value={p}>
          {PERMISSION_LABELS[p]}
        </option>
      ))}
    </select>
  );
}

interface InviteProps {
  mine: Record<Field, boolean>;
  emailRef: React.RefObject<HTMLInputElement | null>;
  onInvited: (member: Member) => void;
  onError: (message: string) => void;
}

function InviteForm({ mine, emailRef, onInvited, onError }: InviteProps) {
  const { api, company } = useApp();
  const [email, setEmail] = useState("");
  // A tool the inviter does not administer starts, and stays, at None.
  const [erp, setErp] = useState<Permission>(mine.erp_permission ? "read_only" : "none");
  const [budget, setBudget] = useState<Permission>(mine.budget_permission ? "read_only" : "none");
  const [busy, setBusy] = useState(false);
  const ids = { heading: useId(), email: useId(), erp: useId(), budget: useId() };

  async function submit(event: FormEvent) {
    event.preventDefault();
    const address = email.trim();
    if (!EMAIL.test(address)) {
      onError("Enter the email address of the person to invite.");
      emailRef.current?.focus();
      return;
    }
    setBusy(true);
    try {
      const member = await inviteMember(api, company.company_id, { email: address, erp_permission: erp, budget_permission: budget });
      setEmail("");
      onInvited({ ...member, email: member?.email ?? address });
    } catch (caught) {
      onError(errorText(caught, `Could not invite ${address}.`));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card form-card invite" aria-labelledby={ids.heading}>
      <h2 id={ids.heading}>Invite Member</h2>
      <form onSubmit={submit} noValidate className="form-row">
        <div className="field">
          <label htmlFor={ids.email}>Email</label>
          <input id={ids.email} ref={emailRef} type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.erp}>ERP Integrations Permission</label>
          <PermissionSelect
            id={ids.erp}
            value={erp}
            field="erp_permission"
            editable={mine.erp_permission}
            onChange={setErp}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.budget}>Budget Permission</label>
          <PermissionSelect
            id={ids.budget}
            value={budget}
            field="budget_permission"
            editable={mine.budget_permission}
            onChange={setBudget}
          />
        </div>
        <div className="field field-submit">
          <button type="submit" className="button button-primary" disabled={busy}>
            Send Invitation
          </button>
        </div>
      </form>
    </section>
  );
}
