"""A kfp 1 pipeline of Python function components, as `kfp-migrate fix` finds it."""
import kfp
from kfp import dsl, gcp
from kfp.components import InputPath, OutputPath, create_component_from_func


def make_data(rows, data_path: OutputPath('CSV')):
    with open(data_path, 'w') as f:
        f.write('\n'.join(str(i) for i in range(int(rows))))


def train(data_path: InputPath('CSV'), model_path: OutputPath('Model'), epochs: int = 3) -> float:
    """Trains a model on the rows."""
    rows = open(data_path).read().splitlines()
    with open(model_path, 'w') as f:
        f.write(str(len(rows) * epochs))
    return 0.9


make_data_op = create_component_from_func(make_data, base_image='python:3.11')
train_op = create_component_from_func(train, base_image='python:3.11', packages_to_install=['numpy'])


@dsl.pipeline(name='training')
def training(rows=100, epochs: int = 3):
    data = make_data_op(rows=rows)
    train = train_op(data.outputs['data'], epochs=epochs).apply(gcp.use_gcp_secret('user-gcp-sa'))
    train.set_gpu_limit(1)


if __name__ == '__main__':
    kfp.compiler.Compiler().compile(training, 'training.tar.gz')
