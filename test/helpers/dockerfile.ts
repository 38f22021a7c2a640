/**
 * The project's Dockerfile read as data (dockerfile-ast, the parser behind the VS Code Docker
 * extension), for the checks docker cannot do here: no base image can be pulled on the project's
 * machines. test/dockerfile.test.ts lints it and checks its rules; test/docker-steps.ts runs its
 * steps as a script.
 */
import { readFileSync } from 'node:fs';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';

export const DOCKERFILE_PATH = new URL('../../../Dockerfile', import.meta.url);

export interface DockerStep {
  /** Upper-case instruction: FROM, RUN, COPY, ... */
  readonly keyword: string;
  /** `--name=value` flags (COPY --from, HEALTHCHECK --interval, ...). */
  readonly flags: Readonly<Record<string, string>>;
  /** Exec-form arguments (JSON array), or undefined for the shell form. */
  readonly exec: readonly string[] | undefined;
  /** Whitespace-separated arguments after the flags, continuation lines joined. */
  readonly args: readonly string[];
  /** The text after the keyword and flags, continuation lines joined (a RUN's shell command). */
  readonly text: string;
  /** 1-based line in the Dockerfile, for messages. */
  readonly line: number;
}

export interface DockerStage {
  readonly name: string;
  readonly image: string;
  readonly steps: readonly DockerStep[];
}

export function readDockerfile(): string {
  return readFileSync(DOCKERFILE_PATH, 'utf8');
}

/** The stages (FROM ... AS name) in order, each with the instructions that follow its FROM. */
export function dockerStages(text = readDockerfile()): DockerStage[] {
  const stages: Array<{ name: string; image: string; steps: DockerStep[] }> = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    const step = toStep(instruction);
    if (step.keyword === 'FROM') {
      const name = step.args[2] ?? String(stages.length);
      stages.push({ name, image: step.args[0] ?? '', steps: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.steps.push(step);
    }
  }
  return stages;
}

/** Instructions before the first FROM (ARGs usable in FROM lines). */
export function globalArgs(text = readDockerfile()): Record<string, string> {
  const args: Record<string, string> = {};
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') break;
    const step = toStep(instruction);
    const [name, value = ''] = step.text.split('=', 2);
    if (step.keyword === 'ARG' && name) args[name] = value;
  }
  return args;
}

function toStep(instruction: Instruction): DockerStep {
  const keyword = instruction.getKeyword().toUpperCase();
  const withFlags = instruction as Instruction & { getFlags?(): Array<{ getName(): string; getValue(): string | null }> };
  const flags: Record<string, string> = {};
  for (const flag of withFlags.getFlags?.() ?? []) flags[flag.getName()] = flag.getValue() ?? '';
  const args = instruction.getArguments().map((argument) => argument.getValue()).filter((value) => !value.startsWith('--') || keyword === 'RUN');
  const raw = (instruction.getArgumentsContent() ?? '').replace(/\\\r?\n/g, ' ');
  const text = raw.replace(/^(\s*--[a-z-]+=\S+)+\s*/, '').replace(/\s+/g, ' ').trim();
  const jsonStart = keyword === 'HEALTHCHECK' ? text.replace(/^CMD\s+/, '') : text;
  let exec: string[] | undefined;
  if (jsonStart.startsWith('[')) {
    try {
      exec = JSON.parse(jsonStart) as string[];
    } catch {
      exec = undefined;
    }
  }
  return { keyword, flags, exec, args, text, line: instruction.getRange().start.line + 1 };
}
