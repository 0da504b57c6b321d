# syncline: one image, three roles (api, worker, scheduler), chosen by the command's --role.
# Build: docker build -t syncline .   Run: see deploy/compose.yaml.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts codegen.ts ./
COPY web ./web
# npm ci runs the postinstall: the Prisma client and the monitor page (web/dist).
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
RUN groupadd --system syncline && useradd --system --gid syncline --home /app syncline
COPY --from=build --chown=syncline:syncline /app /app
USER syncline
EXPOSE 4000 9464
# SIGTERM reaches node directly (no shell in between), so a stop is graceful.
ENTRYPOINT ["node", "--import", "tsx", "src/main.ts"]
CMD ["--role", "api"]
