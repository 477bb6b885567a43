/** The model worker's entry: the first screen's model service, exposed over comlink. */
import * as Comlink from 'comlink';
import { createBrowserModelService } from './browser.js';

Comlink.expose(createBrowserModelService());
