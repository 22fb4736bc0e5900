// The app's frame: runtime config, session, /me, hash routing, header with company switcher and navigation.

import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Api, ApiError, getMe, SESSION_EXPIRED_MESSAGE } from "../api";
import { AppContext } from "../context";
import { atLeast, hasCompanySettings, sectionAccess, type SectionAccess } from "../permissions";
import { budgetsHash, companySettingsHash, erpSectionHash, parseHash, projectBudgetsHash, type Route } from "../routes";
import { clearToken, CurrentToken, readToken, saveToken } from "../session";
import type { Me, RuntimeConfig, Session } from "../types";
import { AuditLogView } from "./AuditLogView";
import { BudgetsView } from "./BudgetsView";
import { ConnectionView } from "./ConnectionView";
import { CostCodesView } from "./CostCodesView";
import { ErpSettingsView } from "./ErpSettingsView";
import { MembersView } from "./MembersView";
import { HistoryView } from "./HistoryView";
import { ProjectBudgetsView } from "./ProjectBudgetsView";
import { ProjectBudgetView } from "./ProjectBudgetView";
import { ProjectsView } from "./ProjectsView";
import { SignIn } from "./SignIn";
import { TargetView } from "./TargetView";

function useHashRoute(): Route {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return useMemo(() => parseHash(hash), [hash]);
}

interface Props {
  config: RuntimeConfig;
}

export function App({ config }: Props) {
  const stored = useMemo(() => readToken(), []);
  const [token, setToken] = useState<string | null>(stored.state === "valid" ? stored.token : null);
  const [notice, setNotice] = useState<string | null>(stored.state === "expired" ? SESSION_EXPIRED_MESSAGE : null);
  const [me, setMe] = useState<Me | null>(null);
  const [meError, setMeError] = useState<string | null>(null);
  // Every change of `token` goes through signedIn, expire or signOut, which set this one too.
  const [currentToken] = useState(() => new CurrentToken(token));
  const route = useHashRoute();

  const expire = useCallback(() => {
    clearToken();
    currentToken.set(null);
    setToken(null);
    setMe(null);
    setNotice(SESSION_EXPIRED_MESSAGE);
  }, [currentToken]);

  const api = useMemo(() => new Api(config.apiBase, currentToken.get, expire), [config.apiBase, currentToken, expire]);

  useEffect(() => {
    if (!token) return;
    let cancelled = false;
    getMe(api)
      .then((answer) => !cancelled && setMe(answer))
      .catch((error: unknown) => {
        if (!cancelled && !(error instanceof ApiError && error.status === 401)) {
          setMeError(error instanceof Error ? error.message : "Could not load your account.");
        }
      });
    return () => {
      cancelled = true;
    };
  }, [api, token]);

  // A saved budget target changes what /me says of the company (its target's name in messages).
  const reloadMe = useCallback(() => {
    getMe(api)
      .then(setMe)
      .catch(() => {
        // The page keeps what it knew; a 401 has already sent the person to sign in.
      });
  }, [api]);

  function signedIn(session: Session) {
    saveToken(session.token, session.expires_in);
    currentToken.set(session.token);
    setNotice(null);
    // A new token asks for /me again (the effect above); an earlier failure no longer applies.
    setMeError(null);
    setToken(session.token);
  }

  function signOut() {
    clearToken();
    currentToken.set(null);
    setToken(null);
    setMe(null);
    setNotice(null);
    window.location.hash = "";
  }

  if (!token) return <SignIn api={api} notice={notice} onSignedIn={signedIn} />;
  if (!me) {
    return (
      <main className="page" id="main">
        {meError ? (
          <p className="message message-error" role="alert">
            {meError}
          </p>
        ) : (
          <p className="muted">Loading your account…</p>
        )}
      </main>
    );
  }
  return <Shell api={api} me={me} route={route} onSignOut={signOut} onMeChanged={reloadMe} />;
}

interface ShellProps {
  api: Api;
  me: Me;
  route: Route;
  onSignOut: () => void;
  onMeChanged: () => void;
}

function Shell({ api, me, route, onSignOut, onMeChanged }: ShellProps) {
  const routeCompany = "companyId" in route ? route.companyId : undefined;
  const company = me.companies.find((c) => c.company_id === routeCompany) ?? (routeCompany ? undefined : me.companies[0]);

  useEffect(() => {
    // The home route lands on the first company's Budgets list (its Project Budgets for someone
    // with Budget access and no ERP access), unless the address has already moved on (a link
    // followed before this ran, whose hashchange is still on its way).
    const first = me.companies[0];
    if (route.view === "home" && first && parseHash(window.location.hash).view === "home") {
      window.location.replace(startOf(first).hash);
    }
  }, [route.view, me.companies]);

  // An address naming a company the person does not belong to shows "Not found", whatever its view.
  const notFound = route.view === "notFound" || (me.companies.length > 0 && !company);
  useEffect(() => {
    const title = notFound ? NOT_FOUND_TITLE : TITLES[route.view];
    document.title = title ? `${title} · Budget Bridge` : "Budget Bridge";
  }, [route.view, notFound]);

  // Following a link to another page moves the focus to the new page's content, as a page load
  // puts a screen reader at its start; left alone it would stay on a link that is gone, which drops
  // it to the body. Another filter or budget of the same page (its radio group, its select) keeps it.
  const pageKey = [route.view, "companyId" in route ? route.companyId : "", "projectId" in route ? route.projectId : ""].join("\n");
  const shownPage = useRef(pageKey);
  useEffect(() => {
    if (shownPage.current === pageKey) return;
    shownPage.current = pageKey;
    document.getElementById("main")?.focus();
  }, [pageKey]);

  const erpActive = ERP_VIEWS.includes(route.view);
  const settingsActive = SETTINGS_VIEWS.includes(route.view);
  const access = company ? sectionAccess(company) : null;
  const context = useMemo(() => (company ? { api, me, company } : null), [api, me, company]);

  return (
    <>
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Budget Bridge</span>
        <div className="topbar-right">
          {me.companies.length > 1 ? (
            <label className="company-switcher">
              <span>Company</span>
              <select
                value={company?.company_id ?? ""}
                onChange={(e) => {
                  const chosen = me.companies.find((c) => c.company_id === e.target.value);
                  if (chosen) window.location.hash = startOf(chosen).hash;
                }}
              >
                {!company && <option value="">Choose a company</option>}
                {me.companies.map((c) => (
                  <option key={c.company_id} value={c.company_id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            company && <span className="company-name">{company.name}</span>
          )}
          <span className="user-email">{me.email}</span>
          <button type="button" className="button button-quiet" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      {company && (
        <nav className="mainnav" aria-label="Main">
          <ul>
            <li>
              <a href={budgetsHash(company.company_id)} aria-current={erpActive ? "page" : undefined}>
                ERP Integrations
              </a>
            </li>
            {isBudgetOnly(company) && (
              <li>
                <a href={projectBudgetsHash(company.company_id)} aria-current={route.view === "projectBudgets" ? "page" : undefined}>
                  Project Budgets
                </a>
              </li>
            )}
            {access && hasCompanySettings(access) && (
              <li>
                <a href={firstSettingsHash(company.company_id, access)} aria-current={settingsActive ? "page" : undefined}>
                  Company Settings
                </a>
              </li>
            )}
          </ul>
        </nav>
      )}
      {company && access && erpActive && <ErpNav route={route} companyId={company.company_id} access={access} />}
      {company && access && settingsActive && <SettingsNav route={route} companyId={company.company_id} access={access} />}
      <main className="page" id="main" tabIndex={-1}>
        {me.companies.length === 0 ? (
          <p className="empty">Your account does not belong to any company yet. Ask your company's administrator for access.</p>
        ) : !context ? (
          <div>
            <h1>Not found</h1>
            <p>This page does not exist, or you do not have access to it.</p>
            <p>
              <a href={startOf(me.companies[0]).hash}>Go to {startOf(me.companies[0]).name}</a>
            </p>
          </div>
        ) : (
          <AppContext.Provider value={context}>
            {route.view === "budgets" &&
              (atLeast(context.company.erp_permission, "read_only") ? (
                <BudgetsView key={route.companyId} filter={route.filter} pageSize={route.limit} />
              ) : (
                <NoAccess
                  tool="ERP Integrations"
                  hint={
                    atLeast(context.company.budget_permission, "read_only") ? (
                      <>
                        Your Budget permission lets you open any project's Budget tab from the{" "}
                        <a href={projectBudgetsHash(context.company.company_id)}>Project Budgets</a> list.
                      </>
                    ) : undefined
                  }
                />
              ))}
            {route.view === "projectBudgets" &&
              (atLeast(context.company.budget_permission, "read_only") ? (
                <ProjectBudgetsView key={route.companyId} />
              ) : (
                <NoAccess tool="Budget" />
              ))}
            {route.view === "projectBudget" &&
              (atLeast(context.company.budget_permission, "read_only") ? (
                <ProjectBudgetView
                  key={`${route.companyId}:${route.projectId}`}
                  projectId={route.projectId}
                  budgetId={route.budgetId}
                />
              ) : (
                <NoAccess tool="Budget" />
              ))}
            {access && <SectionView route={route} access={access} onTargetSaved={onMeChanged} />}
            {route.view === "projectHistory" &&
              (atLeast(context.company.budget_permission, "read_only") ? (
                <HistoryView
                  key={`${route.companyId}:${route.projectId}`}
                  projectId={route.projectId}
                  budgetId={route.budgetId}
                />
              ) : (
                <NoAccess tool="Budget" />
              ))}
            {route.view === "notFound" && (
              <div>
                <h1>Not found</h1>
                <p>
                  This page does not exist. <a href={startOf(context.company).hash}>Go to {startOf(context.company).name}</a>
                </p>
              </div>
            )}
          </AppContext.Provider>
        )}
      </main>
    </>
  );
}

type CompanyOfMe = Me["companies"][number];

/** Budget access without ERP access: the ERP Budgets list is closed, Project Budgets open. */
function isBudgetOnly(company: CompanyOfMe): boolean {
  return !atLeast(company.erp_permission, "read_only") && atLeast(company.budget_permission, "read_only");
}

/** Where a person starts in a company: the ERP Budgets list, or Project Budgets for Budget access alone. */
function startOf(company: CompanyOfMe): { hash: string; name: string } {
  return isBudgetOnly(company)
    ? { hash: projectBudgetsHash(company.company_id), name: "Project Budgets" }
    : { hash: budgetsHash(company.company_id), name: "Budgets" };
}

const LEVEL_TEXT = { read_only: "read-only", standard: "standard", admin: "admin" } as const;

function NoAccess({ tool, level = "read_only", hint }: { tool: string; level?: keyof typeof LEVEL_TEXT; hint?: ReactNode }) {
  return (
    <div>
      <h1>No access</h1>
      <p className="empty">
        You do not have access to this part of the {tool} tool in this company. Ask your company's administrator for{" "}
        {level === "read_only" ? "at least read-only" : `${LEVEL_TEXT[level]}`} permission.
      </p>
      {hint && <p>{hint}</p>}
    </div>
  );
}

const TITLES: Partial<Record<Route["view"], string>> = {
  budgets: "Budgets · ERP Integrations",
  projectBudgets: "Project Budgets · Budget",
  erpProjects: "Projects · ERP Integrations",
  erpSettings: "Settings · ERP Integrations",
  erpConnection: "Connection · ERP Integrations",
  erpTarget: "Budget Target · ERP Integrations",
  members: "Members · Company Settings",
  costCodes: "Cost Codes · Company Settings",
  audit: "Audit Log · Company Settings",
};
const NOT_FOUND_TITLE = "Not found";
const ERP_VIEWS: Route["view"][] = ["budgets", "erpProjects", "erpSettings", "erpConnection", "erpTarget"];
const SETTINGS_VIEWS: Route["view"][] = ["members", "costCodes", "audit"];

function firstSettingsHash(companyId: string, access: SectionAccess): string {
  if (access.members) return companySettingsHash(companyId, "members");
  if (access.costCodes) return companySettingsHash(companyId, "cost-codes");
  return companySettingsHash(companyId, "audit");
}

interface NavProps {
  route: Route;
  companyId: string;
  access: SectionAccess;
}

function NavLink({ href, current, children }: { href: string; current: boolean; children: string }) {
  return (
    <li>
      <a href={href} aria-current={current ? "page" : undefined}>
        {children}
      </a>
    </li>
  );
}

/** ERP Integrations' subtabs; each appears only to those whose permission opens it (read-only and
 * up see Budgets; frontend/README.md), so someone without ERP access sees none. */
function ErpNav({ route, companyId, access }: NavProps) {
  if (!access.budgets) {
    return null;
  }
  return (
    <nav className="subnav" aria-label="ERP Integrations sections">
      <ul>
        <NavLink
          href={budgetsHash(companyId, route.view === "budgets" ? route.filter : undefined)}
          current={route.view === "budgets"}
        >
          Budgets
        </NavLink>
        {access.projects && (
          <NavLink href={erpSectionHash(companyId, "projects")} current={route.view === "erpProjects"}>
            Projects
          </NavLink>
        )}
        {access.erpSettings && (
          <NavLink href={erpSectionHash(companyId, "settings")} current={route.view === "erpSettings"}>
            Settings
          </NavLink>
        )}
        {access.connection && (
          <NavLink href={erpSectionHash(companyId, "connection")} current={route.view === "erpConnection"}>
            Connection
          </NavLink>
        )}
        {canSetTarget(access) && (
          <NavLink href={erpSectionHash(companyId, "target")} current={route.view === "erpTarget"}>
            Budget Target
          </NavLink>
        )}
      </ul>
    </nav>
  );
}

function SettingsNav({ route, companyId, access }: NavProps) {
  return (
    <nav className="subnav" aria-label="Company Settings sections">
      <ul>
        {access.members && (
          <NavLink href={companySettingsHash(companyId, "members")} current={route.view === "members"}>
            Members
          </NavLink>
        )}
        {access.costCodes && (
          <NavLink href={companySettingsHash(companyId, "cost-codes")} current={route.view === "costCodes"}>
            Cost Codes
          </NavLink>
        )}
        {access.audit && (
          <NavLink href={companySettingsHash(companyId, "audit")} current={route.view === "audit"}>
            Audit Log
          </NavLink>
        )}
      </ul>
    </nav>
  );
}

/** Budget Target is for ERP admins, as `PUT /target` asks: the same people as Connection. */
function canSetTarget(access: SectionAccess): boolean {
  return access.connection;
}

/** The adoption pages, each behind the permission its API routes ask for. */
function SectionView({ route, access, onTargetSaved }: { route: Route; access: SectionAccess; onTargetSaved: () => void }) {
  switch (route.view) {
    case "erpProjects":
      return access.projects ? <ProjectsView /> : <NoAccess tool="ERP Integrations" level="standard" />;
    case "erpSettings":
      return access.erpSettings ? <ErpSettingsView /> : <NoAccess tool="ERP Integrations" level="admin" />;
    case "erpConnection":
      return access.connection ? <ConnectionView /> : <NoAccess tool="ERP Integrations" level="admin" />;
    case "erpTarget":
      return canSetTarget(access) ? <TargetView onSaved={onTargetSaved} /> : <NoAccess tool="ERP Integrations" level="admin" />;
    case "members":
      return access.members ? <MembersView /> : <NoAccess tool="ERP Integrations or Budget" level="admin" />;
    case "costCodes":
      return access.costCodes ? <CostCodesView /> : <NoAccess tool="ERP Integrations or Budget" />;
    case "audit":
      return access.audit ? <AuditLogView /> : <NoAccess tool="ERP Integrations or Budget" level="admin" />;
    default:
      return null;
  }
}
