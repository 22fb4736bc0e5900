// What every view needs to know: the API client and the signed-in user's access.

import { createContext, useContext } from "react";
import type { Api } from "./api";
import type { CompanyAccess, Me } from "./types";

export interface AppContextValue {
  api: Api;
  me: Me;
  company: CompanyAccess;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error("useApp outside of AppContext");
  return value;
}
