// The "no such room" page: the presenter's token left the address bar when the page first loaded
// (connection.js keeps it in this tab's sessionStorage); put it back into the "Create room" form.

import { storedToken } from './connection.js';

const field = document.getElementById('missing-token');
const token = storedToken();
if (field && !field.value && token) field.value = token;
