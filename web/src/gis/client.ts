/** The console's one GIS client: the session's CSRF token, and a 401 ends the session. */
import { session } from '../session';
import { GisClient } from './api';

export const gisClient = new GisClient({
  getCsrfToken: () => session.csrfToken,
  onUnauthorized: (error) => session.expire(error),
});
