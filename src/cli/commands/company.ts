import type { Command } from 'commander';
import { withClient } from '../context.js';
import type { CliIO } from '../io.js';
import { printJson, table } from '../output.js';

/** `zhichi robots`, `zhichi numbers`, `zhichi templates`: the company's resources. */
export function register(program: Command, io: CliIO): void {
  program
    .command('robots')
    .description('number of robots (concurrent AI seats) of the company')
    .action(async (_opts: unknown, cmd: Command) => {
      await withClient(cmd, io, async (client, flags) => {
        const robots = await client.robots.count();
        if (flags.json) printJson(io, { robots });
        else io.stdout(`${robots}\n`);
      });
    });

  program
    .command('numbers')
    .description('caller numbers (外显号码) usable in aniList')
    .action(async (_opts: unknown, cmd: Command) => {
      await withClient(cmd, io, async (client, flags) => {
        const list = await client.numbers.list();
        if (flags.json) return printJson(io, list);
        io.stdout(table(['number', 'type', 'province', 'city', 'status'], list.map((n) => [n.number, n.numberType, n.province, n.city, n.status])));
      });
    });

  program
    .command('templates')
    .description('script templates (话术模板) usable as templateId')
    .action(async (_opts: unknown, cmd: Command) => {
      await withClient(cmd, io, async (client, flags) => {
        const list = await client.templates.list();
        if (flags.json) return printJson(io, list);
        io.stdout(
          table(
            ['templateId', 'name', 'variables'],
            list.map((t) => [t.templateId, t.templateName, t.variables?.length ? t.variables.join(', ') : undefined]),
          ),
        );
      });
    });
}
