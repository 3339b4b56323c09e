// GET /v1/openapi.json: the API's OpenAPI 3.1 document, without a key (it holds no secret).

import { jsonResponse } from "../http/json.ts";
import { openApiDocument } from "../openapi/document.ts";

export const getOpenApiDocument = (): Response => jsonResponse(openApiDocument);
